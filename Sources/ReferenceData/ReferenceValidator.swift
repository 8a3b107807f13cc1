import GreenCustomsCore

/// Checks reference records beyond what each file's reader checks: the rules every record must follow wherever
/// it came from (bundled file or imported export).
public enum ReferenceValidator {
    /// Listings and memberships dated after this day are implausible: the lists are current as of 2025, and
    /// amendments already adopted take effect within about a year.
    public static let latestPlausibleDate = CalendarDate(year: 2027, month: 12, day: 31)!

    /// Validates records that were stored in the database by an import. `origin` names the dataset; the line is
    /// the record's position in it (1-based), which for an import is its line in the imported file minus the header.
    public static func check(items: [ControlledItem], origin: String, lines: [Int]? = nil) -> [ReferenceIssue] {
        var issues: [ReferenceIssue] = []
        var seen: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            let line = lines?[index] ?? index + 1
            func issue(_ field: String, _ message: String) {
                issues.append(ReferenceIssue(file: origin, line: line, field: field, message: message))
            }
            if let first = seen[item.id] { issue("id", "duplicate id \(item.id) (first at record \(first))") }
            seen[item.id] = line
            if item.id.isEmpty { issue("id", "is empty") }
            if item.names.preferred.trimmingASCIISpaces().isEmpty { issue("name", "is empty") }
            if item.source.trimmingASCIISpaces().isEmpty { issue("source", "is required but empty") }
            if item.controlled, item.listings.isEmpty { issue("listing", "a controlled item needs a listing") }
            for listing in item.listings {
                if let date = listing.inForce {
                    if let earliest = BuildContext.earliest[listing.regime], date < earliest {
                        issue("in_force", "\(date) is before \(earliest), when the \(listing.regime.title) took effect")
                    }
                    if date > latestPlausibleDate { issue("in_force", "\(date) is in the future") }
                }
            }
            if !item.composition.isEmpty {
                let total = item.composition.reduce(0) { $0 + $1.massPercent }
                if abs(total - 100) > 0.001 {
                    issue("composition", "mass percentages sum to \(formatNumber(total)) %, not 100 %")
                }
            }
            if item.kind == .taxon, item.taxonomy == nil { issue("taxonomy", "a taxon needs its rank") }
        }
        return issues
    }
}
