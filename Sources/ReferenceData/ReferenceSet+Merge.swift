import GreenCustomsCore

extension ReferenceSet {
    /// Adds the texts of an imported HS nomenclature.
    public func merging(hsDescriptions: [HSDescription], version importVersion: String) -> ReferenceSet {
        var merged = self
        for entry in hsDescriptions { merged.hsDescriptions[entry.code] = entry.description }
        merged.version = version + "; " + importVersion
        return merged
    }

    /// Adds the items of an imported dataset. An imported item whose id the set already has (a bundled, current
    /// record) keeps the existing facts and only adds the names it lacks; every other imported item is added.
    /// `version` joins the set's version so results say which datasets they rest on.
    public func merging(imported: [ControlledItem], version importVersion: String) -> ReferenceSet {
        var merged = self
        var index: [String: Int] = [:]
        for (i, item) in merged.items.enumerated() { index[item.id] = i }
        for item in imported {
            if let i = index[item.id] {
                var existing = merged.items[i]
                for synonym in item.names.synonyms
                where !existing.names.synonyms.contains(synonym) && synonym != existing.names.preferred {
                    existing.names.synonyms.append(synonym)
                }
                for (lang, names) in item.names.common {
                    var current = existing.names.common[lang] ?? []
                    for name in names where !current.contains(where: { $0.caseInsensitiveEquals(name) }) {
                        current.append(name)
                    }
                    existing.names.common[lang] = current
                }
                if existing.taxonomy?.phylum == nil, let phylum = item.taxonomy?.phylum {
                    existing.taxonomy?.phylum = phylum
                }
                merged.items[i] = existing
            } else {
                index[item.id] = merged.items.count
                merged.items.append(item)
            }
        }
        merged.version = version + "; " + importVersion
        return merged
    }
}

extension String {
    func caseInsensitiveEquals(_ other: String) -> Bool { lowercased() == other.lowercased() }
}
