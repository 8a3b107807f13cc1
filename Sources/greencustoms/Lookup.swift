import ArgumentParser
import Foundation
import GreenCustomsCore
import ReferenceLibrary
import Screening

struct Lookup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Find controlled items by name, trade name, CAS number, HS code, ASHRAE code, Basel code or LMO identifier.",
        discussion: """
            Examples:
              greencustoms lookup R-22
              greencustoms lookup "Freon 12"
              greencustoms lookup 75-45-6
              greencustoms lookup 2903.71
              greencustoms lookup "Dalbergia nigra" --format json
              greencustoms lookup MON-00810-6
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json
    }

    @Argument(help: "What to look for. Several words are one query.")
    var query: [String]

    @Option(name: .long, help: "Output format: table or json.")
    var format: Format = .table

    @Option(name: .long, help: "The most results to show.")
    var limit: Int = 10

    @OptionGroup var databaseOptions: DatabaseOptions

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be at least 1") }
    }

    func run() async throws {
        let text = query.joined(separator: " ")
        let set = try await ReferenceProvider.with(database: databaseOptions.database) { try await $0.referenceSet() }
        let response = LookupIndex(reference: set).lookup(text, limit: limit)
        switch format {
        case .json: print(try LookupJSON(response).encoded())
        case .table: print(LookupTable.render(response), terminator: "")
        }
    }
}

/// The human-readable form of a look-up.
enum LookupTable {
    static func render(_ response: LookupResponse) -> String {
        var out = ""
        for note in response.notes { out += "Note: \(note)\n" }
        if response.results.isEmpty {
            out += "No controlled item matches \"\(response.query)\".\n"
            return out
        }
        for (n, result) in response.results.enumerated() {
            let status = (result.item?.controlled ?? true) ? "" : "  [NOT CONTROLLED]"
            out += "\(n + 1). \(result.title) — \(result.regime.title)\(status)\n"
            out += "   Listing:     \(result.listing)\n"
            if let annotation = result.item?.listings.compactMap(\.annotation).first {
                out += "   Annotation:  \(annotation)\n"
            }
            if let item = result.item {
                var ids: [String] = []
                if !item.identifiers.cas.isEmpty {
                    ids.append("CAS " + item.identifiers.cas.map(\.text).joined(separator: ", "))
                }
                if !item.identifiers.hs.isEmpty {
                    ids.append("HS " + item.identifiers.hs.map(\.formatted).joined(separator: ", "))
                }
                if let a = item.identifiers.ashrae { ids.append(a.text) }
                if let b = item.identifiers.basel { ids.append("Basel \(b.text)") }
                if let l = item.identifiers.lmo { ids.append("OECD \(l.text)") }
                if let f = item.identifiers.formula { ids.append(f) }
                if !ids.isEmpty { out += "   Identifiers: \(ids.joined(separator: " · "))\n" }
                if let odp = item.odp, item.regime == .montreal {
                    out += "   ODP \(odp)" + (item.gwp.map { " · GWP \(formatNumber($0))" } ?? "") + "\n"
                }
                if let common = item.names.common["en"], !common.isEmpty {
                    out += "   Also called: \(common.prefix(4).joined(separator: ", "))\n"
                }
                if !item.names.tradeNames.isEmpty {
                    out += "   Trade names: \(item.names.tradeNames.prefix(6).joined(separator: ", "))\n"
                }
                if let note = item.note { out += "   Note:        \(note)\n" }
            }
            out +=
                "   Matched:     \(result.match.rawValue.replacingOccurrences(of: "_", with: " ")) \"\(result.matchedText)\"\n"
            if let explanation = result.explanation { out += "   Why:         \(explanation)\n" }
            for requirement in result.requirements {
                out += "   Requires:    [\(requirement.direction.rawValue)] \(requirement.document)\n"
            }
            out += "   Source:      \(result.item?.source ?? result.hsLink?.source ?? "")\n"
        }
        out += "Reference: \(response.referenceVersion)\n"
        return out
    }
}
