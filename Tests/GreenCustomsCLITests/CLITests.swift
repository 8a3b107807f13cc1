import Foundation
import GreenCustomsTestSupport
import Testing

/// Runs the real `greencustoms` binary, as a user or a script would.
struct CLI {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static let binary: URL = {
        let besideRunner = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("greencustoms")
        if FileManager.default.isExecutableFile(atPath: besideRunner.path) { return besideRunner }
        return SharedData.packageRoot.appendingPathComponent(".build/debug/greencustoms")
    }()

    static func run(_ arguments: [String], environment: [String: String] = [:], input: String? = nil) throws -> Output {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "DATABASE_URL")
        env.merge(environment) { _, new in new }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let stdin = Pipe()
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// A fresh temporary folder holding nothing but what the test puts there.
    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gc-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

@Suite("greencustoms command line", .serialized)
struct CLITests {
    @Test("The top-level help lists the commands")
    func help() throws {
        let result = try CLI.run(["--help"])
        #expect(result.status == 0)
        #expect(
            result.stdout == """
                OVERVIEW: Check goods against the Basel, Cartagena, CITES, Montreal, Rotterdam,
                Stockholm and Chemical Weapons lists.

                USAGE: greencustoms <subcommand>

                OPTIONS:
                  --version               Show the version.
                  -h, --help              Show help information.

                SUBCOMMANDS:
                  serve                   Run the web app: the Guide, look-up, screening and
                                          the API.
                  lookup                  Find controlled items by name, trade name, CAS
                                          number, HS code, ASHRAE code, Basel code or LMO
                                          identifier.
                  screen                  Screen a declaration file (CSV or JSON Lines) against
                                          every list, one result per line.
                  reference               Check, import and list the reference data.
                  user                    Create and manage accounts.
                  token                   Create, list and revoke API tokens.
                  backup                  Write a backup of the SQLite database to a new file
                                          (safe while the app runs).
                  restore                 Replace the SQLite database with a backup, after
                                          checking the backup (stop the servers first).

                  See 'greencustoms help <subcommand>' for detailed help.

                """)
    }

    @Test(
        "user create reads the password from standard input only, refuses weak ones and taken names; token create prints the token last"
    )
    func accounts() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("accounts.sqlite").path
        let noStdin = try CLI.run(["user", "create", "amina", "--role", "officer", "--database", db])
        #expect(noStdin.status == 2 && noStdin.stderr.contains("--password-stdin"))
        let weak = try CLI.run(
            ["user", "create", "amina", "--role", "officer", "--password-stdin", "--database", db], input: "short\n")
        #expect(weak.status == 2 && weak.stderr.contains("at least 12 characters"))
        let badRole = try CLI.run(
            ["user", "create", "amina", "--role", "king", "--password-stdin", "--database", db],
            input: "a long enough passphrase\n")
        #expect(badRole.status == 2)
        let created = try CLI.run(
            ["user", "create", "amina", "--role", "officer", "--password-stdin", "--database", db],
            input: "a long enough passphrase\n")
        #expect(created.status == 0 && created.stdout.contains("Created amina (officer)"))
        let again = try CLI.run(
            ["user", "create", "amina", "--role", "admin", "--password-stdin", "--database", db],
            input: "a long enough passphrase\n")
        #expect(again.status == 1 && again.stderr.contains("already exists"))
        let token = try CLI.run(["token", "create", "amina", "--label", "single window", "--database", db])
        #expect(token.status == 0)
        let last = token.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("gct_") && last.count == 47)
        let listed = try CLI.run(["token", "list", "--database", db])
        #expect(listed.stdout.contains(String(last.prefix(10))) && !listed.stdout.contains(last))
        #expect(try CLI.run(["token", "revoke", String(last.prefix(10)), "--database", db]).status == 0)
        #expect(try CLI.run(["token", "list", "--database", db]).stdout.contains("revoked"))
        #expect(try CLI.run(["token", "create", "nobody", "--database", db]).status == 1)
        #expect(try CLI.run(["user", "list", "--database", db]).stdout == "amina\tofficer\n")
    }

    @Test("lookup without a query is a usage error")
    func usageError() throws {
        let result = try CLI.run(["lookup"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("Missing expected argument '<query> ...'"))
    }

    @Test("lookup R-22 --format json gives the documented object, best first")
    func lookupJSON() throws {
        let dir = try CLI.temporaryDirectory()
        let db = dir.appendingPathComponent("gc.sqlite").path
        let result = try CLI.run(["lookup", "R-22", "--format", "json", "--database", db])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["query"] as? String == "R-22")
        let results = try #require(json["results"] as? [[String: Any]])
        let first = try #require(results.first)
        #expect(first["regime"] as? String == "montreal")
        #expect(first["item"] as? String == "HCFC-22")
        #expect(first["listing"] as? String == "Annex C, Group I (in force 1994-06-14)")
        let identifiers = try #require(first["identifiers"] as? [String: Any])
        #expect(identifiers["cas"] as? [String] == ["75-45-6"])
        #expect(identifiers["hs"] as? [String] == ["2903.71"])
        #expect(identifiers["ashrae"] as? String == "R-22")
        let requirements = try #require(first["requirements"] as? [[String: Any]])
        #expect(requirements.contains { $0["direction"] as? String == "import" && $0["type"] as? String == "licence" })
        #expect((first["source"] as? String)?.isEmpty == false)
        #expect((json["reference_version"] as? String)?.hasPrefix("bundled-") == true)
        // The database now holds the bundled lists.
        #expect(FileManager.default.fileExists(atPath: db))
    }

    @Test("lookup prints a readable table and says when a CAS number is wrong")
    func lookupTable() throws {
        let db = try CLI.temporaryDirectory().appendingPathComponent("gc.sqlite").path
        let result = try CLI.run(["lookup", "R-600a", "--database", db])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "1. Isobutane — Montreal Protocol  [NOT CONTROLLED]")
        #expect(lines.contains("   Matched:     ashrae designation \"R-600a\""))
        let wrong = try CLI.run(["lookup", "75-45-7", "--database", db])
        #expect(
            wrong.stdout == """
                Note: "75-45-7" has a wrong CAS check digit (expected 6): check the number on the label and the documents.
                No controlled item matches "75-45-7".

                """)
    }

    @Test("reference check passes on the bundled files and fails, with file and line, on broken ones")
    func referenceCheck() throws {
        let db = try CLI.temporaryDirectory().appendingPathComponent("gc.sqlite").path
        let ok = try CLI.run(["reference", "check", "--database", db])
        #expect(ok.status == 0, "\(ok.stdout)")
        #expect(ok.stdout.hasPrefix("OK: "))

        let broken = try CLI.temporaryDirectory().appendingPathComponent("Bundled")
        let bundled = SharedData.packageRoot.appendingPathComponent("Sources/ReferenceData/Bundled")
        try FileManager.default.copyItem(at: bundled, to: broken)
        let file = broken.appendingPathComponent("montreal_substances.csv")
        let text = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(
            of: ",75-45-6,", with: ",75-45-7,")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let line = text.components(separatedBy: "\n").firstIndex { $0.contains(",75-45-7,") }! + 1
        let failed = try CLI.run(["reference", "check", "--files-only", "--bundled-dir", broken.path])
        #expect(failed.status == 1)
        #expect(
            failed.stdout.contains(
                "montreal_substances.csv:\(line): cas: \"75-45-7\" has a wrong CAS check digit (expected 6)"))
        #expect(failed.stdout.contains("1 problem(s) found"))
    }

    @Test("reference import cites: a broken file is refused whole; a good one is imported and versioned")
    func importCITES() throws {
        let dir = try CLI.temporaryDirectory()
        let db = dir.appendingPathComponent("gc.sqlite").path
        let header =
            "TaxonId,Kingdom,Phylum,Class,Order,Family,Genus,Species,Subspecies,FullName,AuthorYear,RankName,CurrentListing,FullAnnotationEnglish,SynonymsWithAuthors,EnglishNames,SpanishNames,FrenchNames\n"
        let bad = dir.appendingPathComponent("bad.csv")
        try
            (header
            + "1,Animalia,,,,,Testus,alpha,,Testus alpha,,SPECIES,II,,,Alpha bird,,\n2,Animalia,,,,,Testus,beta,,Testus beta,,SPECIES,V,,,,,\n")
            .write(to: bad, atomically: true, encoding: .utf8)
        let refused = try CLI.run(["reference", "import", "cites", bad.path, "--database", db])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("bad.csv:3: CurrentListing: \"V\" is not a CITES listing"))
        #expect(refused.stderr.contains("Nothing was imported."))

        let good = dir.appendingPathComponent("Index_of_CITES_Species_2026-01-31.csv")
        try
            (header
            + "1,Animalia,Chordata,Aves,Passeriformes,Testidae,Testus,alpha,,Testus alpha,,SPECIES,II,,,Alpha bird,,\n")
            .write(to: good, atomically: true, encoding: .utf8)
        let imported = try CLI.run(["reference", "import", "cites", good.path, "--database", db])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.hasPrefix("Imported 1 CITES taxa (1 listed) as cites-speciesplus-2026-01-31+"))
        let list = try CLI.run(["reference", "list", "--database", db])
        #expect(list.stdout.split(separator: "\n").count == 2)
        #expect(list.stdout.contains("cites-speciesplus-2026-01-31+"))
        let found = try CLI.run(["lookup", "alpha bird", "--format", "json", "--database", db])
        #expect(found.stdout.contains("\"id\" : \"cites:testus-alpha\""))
        #expect(found.stdout.contains("cites-speciesplus-2026-01-31+"))
    }

    @Test(
        "The real 2017 Species+ export imports, and look-ups use it",
        .enabled(if: SharedData.has(SharedData.citesExport)))
    func importRealExport() throws {
        let db = try CLI.temporaryDirectory().appendingPathComponent("gc.sqlite").path
        let imported = try CLI.run([
            "reference", "import", "cites", SharedData.file(SharedData.citesExport).path, "--database", db,
        ])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.hasPrefix("Imported 38079 CITES taxa"))
        // A species only the full list names, under an order-level listing.
        let found = try CLI.run(["lookup", "Abeillia abeillei", "--format", "json", "--database", db])
        #expect(found.stdout.contains("\"id\" : \"cites:abeillia-abeillei\""))
        let check = try CLI.run(["reference", "check", "--database", db])
        #expect(check.status == 0, "\(check.stdout)")
    }

    @Test("screen: one result per line in order, unreadable lines reported with their number, a JSON summary")
    func screenFile() throws {
        let dir = try CLI.temporaryDirectory()
        let input = dir.appendingPathComponent("lines.csv")
        try Data(
            """
            line_id,date,direction,hs_code,description,origin,destination,permit_refs
            A1,2026-03-01,import,2903.71,R-22 refrigerant 13.6 kg cylinders,CN,NG,
            A2,2026-03-01,import,6109.10,"cotton t-shirts, knitted",CN,NG,
            A3,2026-03-01,import,0101.21,"broken "quote,CN,NG,
            A4,2026-03-01,export,,Python programming books,GB,US,

            """.utf8
        ).write(to: input)
        let database = dir.appendingPathComponent("gc.sqlite").path
        let summary = dir.appendingPathComponent("summary.json")
        let result = try CLI.run([
            "screen", input.path, "--database", database, "--format", "csv", "--summary", summary.path,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = result.stdout.split(separator: "\n").map(String.init)
        #expect(rows.count == 4)
        #expect(rows[0] == "line_id,lane,risk_score,regimes,findings,flags")
        #expect(rows[1].hasPrefix("A1,red,75,montreal,"))
        #expect(rows[1].contains("montreal:hcfc-22"))
        #expect(rows[2] == "A2,green,0,,,")
        #expect(rows[3] == "A4,green,0,,,")
        #expect(result.stderr.contains("line 4: field 5 has text after its closing quote"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: summary)) as? [String: Any]
        #expect(json?["lines"] as? Int == 3)
        #expect(json?["errors"] as? Int == 1)
        #expect((json?["lanes"] as? [String: Int])?["red"] == 1)
        #expect((json?["hits_by_regime"] as? [String: Int])?["montreal"] == 1)
    }

    @Test("screen: exit status 3 when the input cannot be read, 2 for a usage error")
    func screenExitCodes() throws {
        let dir = try CLI.temporaryDirectory()
        let database = dir.appendingPathComponent("gc.sqlite").path
        let missing = try CLI.run(["screen", dir.appendingPathComponent("none.csv").path, "--database", database])
        #expect(missing.status == 3)
        #expect(missing.stderr.contains("cannot be opened"))
        let header = dir.appendingPathComponent("header.csv")
        try Data("quantity,unit\n3,kg\n".utf8).write(to: header)
        let noColumns = try CLI.run(["screen", header.path, "--database", database])
        #expect(noColumns.status == 3)
        #expect(noColumns.stderr.contains("the header lacks required column(s): line_id"))
        let usage = try CLI.run(["screen", header.path, "--threads", "0"])
        #expect(usage.status == 2)
    }
}
