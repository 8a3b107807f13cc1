import ArgumentParser
import Foundation
import GreenCustomsCore
import ReferenceLibrary
import Screening

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

struct Screen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Screen a declaration file (CSV or JSON Lines) against every list, one result per line.",
        discussion: """
            Columns (CSV header or JSON keys, any case): line_id, declaration_id, date, direction, hs_code, \
            description, cas_number, species, quantity, unit, origin, destination, exporter, importer, permit_refs. \
            line_id and one of hs_code, description, cas_number or species are required; other columns are ignored.

            Results go to standard output in input order; unreadable lines are reported on standard error with \
            their line number and skipped; a summary follows on standard error (or in --summary FILE as JSON).

            Exit status: 0 done, 2 usage error, 3 input unreadable.

            Examples:
              greencustoms screen declarations.csv > results.jsonl
              greencustoms screen manifest.jsonl --format table
              cat lines.csv | greencustoms screen - --format csv --summary summary.json
            """)

    @Argument(help: ArgumentHelp("The declaration file, or - for standard input.", valueName: "file"))
    var file: String

    @Option(name: .long, help: "Output format: jsonl, csv or table.")
    var format: ResultFormat = .jsonl

    @Option(name: .long, help: "Input format: csv or jsonl (default: told from the first byte).")
    var inputFormat: DeclarationReader<FileDescriptorSource>.Format?

    @Option(name: .long, help: ArgumentHelp("Write the summary as JSON to this file.", valueName: "file"))
    var summary: String?

    @Option(name: .long, help: "Threads that screen (default: one per core).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @OptionGroup var databaseOptions: DatabaseOptions

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() async throws {
        let started = DispatchTime.now().uptimeNanoseconds
        let source: FileDescriptorSource
        do { source = try FileDescriptorSource.open(file) } catch {
            printError("error: \(error.description)")
            throw ExitCode(3)
        }
        // Reading starts now, on a thread of its own, while the reference data loads and the engine is built.
        let feed: DeclarationFeed<FileDescriptorSource>
        do { feed = try DeclarationFeed<FileDescriptorSource>.file(source, inputFormat: inputFormat) } catch {
            printError("error: \(file == "-" ? "standard input" : file): \(error.description)")
            throw ExitCode(3)
        }
        let set = try await ReferenceProvider.with(database: databaseOptions.database) { try await $0.referenceSet() }
        let loaded = DispatchTime.now().uptimeNanoseconds
        let engine = ScreeningEngine(reference: set)
        let startup = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let indexing = Double(DispatchTime.now().uptimeNanoseconds - loaded) / 1e9
        let screener = BatchScreener(engine: engine, format: format, threads: threads)
        var result: ScreeningSummary
        do {
            result = try screener.run(
                feed, write: StandardOutput.write,
                reportError: { printError("error: \(file == "-" ? "standard input" : file): \($0.description)") })
        } catch {
            printError("error: \(file == "-" ? "standard input" : file): \(error.description)")
            throw ExitCode(3)
        }
        result.startupSeconds = startup
        result.indexSeconds = indexing
        result.seconds += startup
        if let summary {
            do { try Data((result.json + "\n").utf8).write(to: URL(fileURLWithPath: summary)) } catch {
                printError("error: cannot write the summary to \(summary): \(error.localizedDescription)")
                throw ExitCode(1)
            }
        } else {
            printError(result.text, terminator: "")
        }
    }
}

extension ResultFormat: ExpressibleByArgument {}
extension DeclarationReader.Format: ExpressibleByArgument {}

/// Writes bytes to standard output with `write(2)`, all of them, retrying short writes.
enum StandardOutput {
    static func write(_ buffer: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < buffer.count {
            let n = systemWrite(1, buffer.baseAddress! + offset, buffer.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                // The reader of our output went away (a closed pipe): stop quietly, as `head` expects.
                exit(errno == EPIPE ? 0 : 1)
            }
            offset += n
        }
    }

    private static func systemWrite(_ fd: Int32, _ pointer: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
            Glibc.write(fd, pointer, count)
        #else
            Darwin.write(fd, pointer, count)
        #endif
    }
}
