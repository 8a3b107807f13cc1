import GreenCustomsCore

/// What a refrigerant blend inherits from its components: ODP and GWP weighted by mass, the Montreal Protocol
/// listings of its controlled components, and its HS 2022 subheading.
struct BlendProperties {
    var controlled: Bool
    var odp: ODP?
    var gwp: Double?
    var listings: [Listing]
    var hs: HSCode?
    var note: String?

    init(parts: [(Component, ControlledItem)]) {
        let controlledParts = parts.filter { $0.1.controlled }
        controlled = !controlledParts.isEmpty
        var odpSum = 0.0
        var gwpSum = 0.0
        var gwpKnown = true
        for (component, item) in parts {
            odpSum += component.massPercent / 100 * (item.odp?.value ?? 0)
            if let gwp = item.gwp {
                gwpSum += component.massPercent / 100 * gwp
            } else if item.controlled {
                gwpKnown = false
            }
        }
        odp = ODP((odpSum * 10_000).rounded() / 10_000)
        gwp = gwpKnown ? gwpSum.rounded() : nil
        var lists: [Listing] = []
        for (_, item) in controlledParts {
            for listing in item.listings where !lists.contains(where: { $0.list == listing.list }) {
                lists.append(listing)
            }
        }
        listings = lists.sorted { $0.list < $1.list }.map { listing in
            let members = controlledParts.filter { $0.1.listings.contains { $0.list == listing.list } }.map(
                \.0.designation)
            var l = listing
            l.annotation =
                "Mixture containing \(members.joined(separator: ", ")) (controlled as a mixture of controlled substances)"
            return l
        }
        hs = BlendProperties.subheading(for: parts.map(\.1), composition: parts.map(\.0))
        note =
            controlled
            ? nil
            : "No component is controlled by the Montreal Protocol; listed so that screening can tell it apart."
    }

    /// The HS 2022 subheading of heading 38.27 (mixtures containing halogenated derivatives of methane, ethane or
    /// propane), found by applying its subheadings in the order of the legal text: the first that fits wins.
    /// Nil when no component is such a derivative (hydrocarbon or HFO-only blends are classified elsewhere).
    static func subheading(for items: [ControlledItem], composition: [Component]) -> HSCode? {
        let categories = Set(items.compactMap(\.category))
        func has(_ category: String) -> Bool { categories.contains(category) }
        func percent(_ key: String) -> Double {
            zip(items, composition).filter { $0.0.identifiers.ashrae?.key == key }.reduce(0) { $0 + $1.1.massPercent }
        }
        let pfc = items.contains { ["R14", "R116", "R218"].contains($0.identifiers.ashrae?.key ?? "") }
        // Unsaturated fluorinated derivatives of acyclic hydrocarbons (HFOs, HCFOs): R-1xxx designations with fluorine.
        let hfo = items.contains { item in
            guard let key = item.identifiers.ashrae?.key, key.hasPrefix("R1"),
                key.dropFirst().prefix(4).allSatisfy(\.isNumber),
                key.count >= 5
            else { return false }
            return item.identifiers.formula?.contains("F") ?? false
        }
        let hfc = has("HFC") || has("HFC-23")
        let hcfcIn2903_71_75 = items.contains { item in
            item.category == "HCFC" && item.identifiers.hs.contains { ("290371"..."290375").contains($0.subheading) }
        }
        let code: String?
        if has("CFC") || has("other fully halogenated CFC") {
            code = "3827.11"
        } else if has("HBFC") {
            code = "3827.12"
        } else if has("carbon tetrachloride") {
            code = "3827.13"
        } else if has("methyl chloroform") {
            code = "3827.14"
        } else if has("halon") {
            code = "3827.20"
        } else if has("HCFC") {
            code = hfc ? "3827.31" : hcfcIn2903_71_75 ? "3827.32" : "3827.39"
        } else if has("methyl bromide") || has("bromochloromethane") {
            code = "3827.40"
        } else if has("HFC-23") || pfc {
            code = has("HFC-23") ? "3827.51" : "3827.59"
        } else if hfc {
            if percent("R143A") >= 15 {
                code = "3827.61"
            } else if percent("R125") >= 55 && !hfo {
                code = "3827.62"
            } else if percent("R125") >= 40 {
                code = "3827.63"
            } else if percent("R134A") >= 30 && !hfo {
                code = "3827.64"
            } else if percent("R32") >= 20 && percent("R125") >= 20 {
                code = "3827.65"
            } else {
                code = "3827.68"
            }
        } else {
            code = nil
        }
        return code.flatMap { HSCode($0) }
    }
}
