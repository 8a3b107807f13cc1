import Foundation
import GreenCustomsCore

/// A compact binary form of a whole `ReferenceSet`, so that a command can start from one stored blob instead of
/// decoding tens of thousands of JSON records (a full CITES list: ~4 s from JSON records, ~0.2 s from a snapshot).
///
/// The format is private to this version of Green Customs: `formatVersion` is part of the stored key, so a
/// snapshot written by another version is never read; it is rebuilt from the records instead. Every read is bounds
/// checked: a damaged snapshot is an error, never a crash.
///
/// Layout: magic `GCRS`, format version, the string table (a count, then each distinct string as a length and UTF-8
/// bytes), then the set's fields in declaration order. Integers are LEB128 varints, strings are their index in the
/// table, optionals a presence byte, arrays a count then elements, doubles their 8 IEEE bytes. The table stores
/// each text once (sources, listing names, ranks and families repeat across tens of thousands of items), which
/// keeps the snapshot small and lets decoding share one `String` among the items that use it.
public enum ReferenceSnapshot {
    public static let formatVersion = 2
    static let magic: [UInt8] = Array("GCRS".utf8)

    public struct DamagedSnapshot: Error, CustomStringConvertible {
        public var description: String
    }

    public static func encode(_ set: ReferenceSet) -> [UInt8] {
        var w = Writer()
        w.string(set.version)
        w.array(set.items) { w, item in w.item(item) }
        w.array(set.countries) { w, c in
            w.string(c.code.text)
            w.string(c.alpha3)
            w.string(c.numeric)
            w.array(c.names.sorted { $0.key < $1.key }) { w, pair in
                w.string(pair.key)
                w.string(pair.value)
            }
            w.optional(c.partyVia) { w, code in w.string(code.text) }
            w.array(c.memberships.sorted { $0.key.rawValue < $1.key.rawValue }) { w, pair in
                w.string(pair.key.rawValue)
                w.date(pair.value)
            }
            w.string(c.source)
        }
        w.array(set.requirements) { w, r in
            w.string(r.regime.rawValue)
            w.string(r.listing)
            w.string(r.direction.rawValue)
            w.string(r.kind.rawValue)
            w.string(r.document)
            w.string(r.description)
            w.string(r.source)
        }
        w.array(set.hsLinks) { w, l in
            w.string(l.hs.digits)
            w.string(l.description)
            w.array(l.regimes) { w, r in w.string(r.rawValue) }
            w.strings(l.itemIDs)
            w.string(l.coverage.rawValue)
            w.optional(l.note) { w, s in w.string(s) }
            w.string(l.source)
        }
        w.array(set.tradeTerms) { w, t in
            w.string(t.term)
            w.string(t.language)
            w.strings(t.itemIDs)
            w.optional(t.note) { w, s in w.string(s) }
            w.string(t.source)
        }
        w.array(set.hsDescriptions.sorted { $0.key < $1.key }) { w, pair in
            w.string(pair.key)
            w.string(pair.value)
        }
        var out = Writer()
        out.bytes += magic
        out.int(formatVersion)
        out.int(w.table.count)
        for text in w.table {
            out.int(text.utf8.count)
            out.bytes += text.utf8
        }
        return out.bytes + w.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(DamagedSnapshot) -> ReferenceSet {
        try bytes.withUnsafeBufferPointer { buffer throws(DamagedSnapshot) -> ReferenceSet in
            var r = Reader(buffer: buffer)
            guard buffer.count >= 4, Array(buffer[0..<4]) == magic else {
                throw DamagedSnapshot(description: "not a Green Customs reference snapshot")
            }
            r.position = 4
            let format = try r.int()
            guard format == formatVersion else {
                throw DamagedSnapshot(description: "snapshot format \(format), expected \(formatVersion)")
            }
            try r.readTable()
            var set = ReferenceSet(version: try r.string())
            set.items = try r.array { r throws(DamagedSnapshot) in try r.item() }
            set.countries = try r.array { r throws(DamagedSnapshot) in
                let code = try r.value(CountryCode(try r.string()), "country code")
                let alpha3 = try r.string()
                let numeric = try r.string()
                let names = try r.array { r throws(DamagedSnapshot) in (try r.string(), try r.string()) }
                let via = try r.optional { r throws(DamagedSnapshot) in try r.value(CountryCode(try r.string()), "code")
                }
                let memberships = try r.array { r throws(DamagedSnapshot) in
                    (try r.value(Agreement(rawValue: try r.string()), "agreement"), try r.date())
                }
                return Country(
                    code: code, alpha3: alpha3, numeric: numeric,
                    names: Dictionary(names, uniquingKeysWith: { a, _ in a }), partyVia: via,
                    memberships: Dictionary(memberships, uniquingKeysWith: { a, _ in a }), source: try r.string())
            }
            set.requirements = try r.array { r throws(DamagedSnapshot) in
                Requirement(
                    regime: try r.value(Regime(rawValue: try r.string()), "regime"), listing: try r.string(),
                    direction: try r.value(Direction(rawValue: try r.string()), "direction"),
                    kind: try r.value(Requirement.Kind(rawValue: try r.string()), "requirement kind"),
                    document: try r.string(), description: try r.string(), source: try r.string())
            }
            set.hsLinks = try r.array { r throws(DamagedSnapshot) in
                HSLink(
                    hs: try r.value(HSCode(try r.string()), "HS code"), description: try r.string(),
                    regimes: try r.array { r throws(DamagedSnapshot) in
                        try r.value(Regime(rawValue: try r.string()), "regime")
                    },
                    itemIDs: try r.strings(),
                    coverage: try r.value(HSLink.Coverage(rawValue: try r.string()), "coverage"),
                    note: try r.optional { r throws(DamagedSnapshot) in try r.string() }, source: try r.string())
            }
            set.tradeTerms = try r.array { r throws(DamagedSnapshot) in
                TradeTerm(
                    term: try r.string(), language: try r.string(), itemIDs: try r.strings(),
                    note: try r.optional { r throws(DamagedSnapshot) in try r.string() }, source: try r.string())
            }
            let texts = try r.array { r throws(DamagedSnapshot) in (try r.string(), try r.string()) }
            set.hsDescriptions = Dictionary(texts, uniquingKeysWith: { a, _ in a })
            guard r.position == buffer.count else {
                throw DamagedSnapshot(description: "\(buffer.count - r.position) unexpected byte(s) at the end")
            }
            return set
        }
    }

    // MARK: Writing

    struct Writer {
        var bytes: [UInt8] = []
        /// The distinct strings, in order of first use, and the index of each.
        var table: [String] = []
        var indices: [String: Int] = [:]

        mutating func int(_ value: Int) {
            var v = UInt64(bitPattern: Int64(value))
            while v >= 0x80 {
                bytes.append(UInt8(v & 0x7F) | 0x80)
                v >>= 7
            }
            bytes.append(UInt8(v))
        }

        mutating func string(_ s: String) {
            if let index = indices[s] {
                int(index)
                return
            }
            indices[s] = table.count
            int(table.count)
            table.append(s)
        }

        mutating func strings(_ list: [String]) { array(list) { w, s in w.string(s) } }

        mutating func double(_ d: Double) {
            var bits = d.bitPattern
            for _ in 0..<8 {
                bytes.append(UInt8(bits & 0xFF))
                bits >>= 8
            }
        }

        mutating func bool(_ b: Bool) { bytes.append(b ? 1 : 0) }

        mutating func date(_ d: CalendarDate) {
            int(d.year)
            int(d.month)
            int(d.day)
        }

        mutating func optional<T>(_ value: T?, _ body: (inout Writer, T) -> Void) {
            guard let value else {
                bytes.append(0)
                return
            }
            bytes.append(1)
            body(&self, value)
        }

        mutating func array<T>(_ values: [T], _ body: (inout Writer, T) -> Void) {
            int(values.count)
            for v in values { body(&self, v) }
        }

        mutating func item(_ item: ControlledItem) {
            string(item.id)
            string(item.regime.rawValue)
            string(item.kind.rawValue)
            bool(item.controlled)
            string(item.names.preferred)
            strings(item.names.synonyms)
            strings(item.names.tradeNames)
            array(item.names.common.sorted { $0.key < $1.key }) { w, pair in
                w.string(pair.key)
                w.strings(pair.value)
            }
            let ids = item.identifiers
            array(ids.cas) { w, c in w.string(c.text) }
            array(ids.hs) { w, h in w.string(h.digits) }
            optional(ids.ashrae) { w, a in w.string(a.text) }
            optional(ids.basel) { w, b in w.string(b.text) }
            optional(ids.lmo) { w, l in w.string(l.text) }
            optional(ids.formula) { w, f in w.string(f) }
            array(item.listings) { w, l in
                w.string(l.regime.rawValue)
                w.string(l.list)
                w.optional(l.entry) { w, s in w.string(s) }
                w.optional(l.inForce) { w, d in w.date(d) }
                w.optional(l.annotation) { w, s in w.string(s) }
            }
            optional(item.odp) { w, o in
                w.double(o.low)
                w.double(o.high)
            }
            optional(item.gwp) { w, g in w.double(g) }
            array(item.composition) { w, c in
                w.string(c.designation)
                w.optional(c.itemID) { w, s in w.string(s) }
                w.double(c.massPercent)
            }
            optional(item.taxonomy) { w, t in
                w.string(t.rank.rawValue)
                for rank in [t.kingdom, t.phylum, t.class, t.order, t.family, t.genus] {
                    w.optional(rank) { w, s in w.string(s) }
                }
            }
            strings(item.excludes)
            strings(item.related)
            optional(item.category) { w, s in w.string(s) }
            optional(item.note) { w, s in w.string(s) }
            string(item.source)
        }
    }

    // MARK: Reading

    struct Reader {
        let buffer: UnsafeBufferPointer<UInt8>
        var position = 0
        var table: [String] = []

        init(buffer: UnsafeBufferPointer<UInt8>) { self.buffer = buffer }

        func damaged(_ what: String) -> DamagedSnapshot {
            DamagedSnapshot(description: "damaged snapshot at byte \(position): \(what)")
        }

        mutating func byte() throws(DamagedSnapshot) -> UInt8 {
            guard position < buffer.count else { throw damaged("unexpected end") }
            defer { position += 1 }
            return buffer[position]
        }

        mutating func int() throws(DamagedSnapshot) -> Int {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                let b = try byte()
                guard shift < 64 else { throw damaged("integer too long") }
                result |= UInt64(b & 0x7F) << shift
                if b < 0x80 { break }
                shift += 7
            }
            return Int(Int64(bitPattern: result))
        }

        mutating func count() throws(DamagedSnapshot) -> Int {
            let n = try int()
            guard n >= 0, n <= buffer.count - position else { throw damaged("count \(n) exceeds the data") }
            return n
        }

        /// Reads the string table that precedes the data.
        mutating func readTable() throws(DamagedSnapshot) {
            let count = try count()
            table.reserveCapacity(count)
            for _ in 0..<count {
                let n = try self.count()
                table.append(
                    String(decoding: UnsafeBufferPointer(rebasing: buffer[position..<(position + n)]), as: UTF8.self))
                position += n
            }
        }

        mutating func string() throws(DamagedSnapshot) -> String {
            let index = try int()
            guard index >= 0, index < table.count else { throw damaged("string \(index) is not in the table") }
            return table[index]
        }

        mutating func strings() throws(DamagedSnapshot) -> [String] {
            try array { r throws(DamagedSnapshot) in try r.string() }
        }

        mutating func double() throws(DamagedSnapshot) -> Double {
            guard position + 8 <= buffer.count else { throw damaged("unexpected end") }
            var bits: UInt64 = 0
            for k in 0..<8 { bits |= UInt64(buffer[position + k]) << (8 * UInt64(k)) }
            position += 8
            return Double(bitPattern: bits)
        }

        mutating func bool() throws(DamagedSnapshot) -> Bool { try byte() != 0 }

        mutating func date() throws(DamagedSnapshot) -> CalendarDate {
            let (y, m, d) = (try int(), try int(), try int())
            return try value(CalendarDate(year: y, month: m, day: d), "date")
        }

        func value<T>(_ v: T?, _ what: String) throws(DamagedSnapshot) -> T {
            guard let v else { throw damaged("invalid \(what)") }
            return v
        }

        mutating func optional<T>(_ body: (inout Reader) throws(DamagedSnapshot) -> T) throws(DamagedSnapshot) -> T? {
            switch try byte() {
            case 0: return nil
            case 1: return try body(&self)
            default: throw damaged("invalid presence byte")
            }
        }

        mutating func array<T>(_ body: (inout Reader) throws(DamagedSnapshot) -> T) throws(DamagedSnapshot) -> [T] {
            let n = try count()
            var out: [T] = []
            out.reserveCapacity(n)
            for _ in 0..<n { out.append(try body(&self)) }
            return out
        }

        mutating func item() throws(DamagedSnapshot) -> ControlledItem {
            let id = try string()
            let regime = try value(Regime(rawValue: try string()), "regime")
            let kind = try value(ItemKind(rawValue: try string()), "item kind")
            let controlled = try bool()
            let preferred = try string()
            let synonyms = try strings()
            let tradeNames = try strings()
            let common = try array { r throws(DamagedSnapshot) in (try r.string(), try r.strings()) }
            let cas = try array { r throws(DamagedSnapshot) in try r.value(CASNumber(try r.string()), "CAS number") }
            let hs = try array { r throws(DamagedSnapshot) in try r.value(HSCode(try r.string()), "HS code") }
            let ashrae = try optional { r throws(DamagedSnapshot) in
                try r.value(ASHRAEDesignation(try r.string()), "ASHRAE designation")
            }
            let basel = try optional { r throws(DamagedSnapshot) in try r.value(BaselCode(try r.string()), "Basel code")
            }
            let lmo = try optional { r throws(DamagedSnapshot) in
                try r.value(LMOIdentifier(try r.string()), "LMO identifier")
            }
            let formula = try optional { r throws(DamagedSnapshot) in try r.string() }
            let listings = try array { r throws(DamagedSnapshot) in
                Listing(
                    regime: try r.value(Regime(rawValue: try r.string()), "regime"), list: try r.string(),
                    entry: try r.optional { r throws(DamagedSnapshot) in try r.string() },
                    inForce: try r.optional { r throws(DamagedSnapshot) in try r.date() },
                    annotation: try r.optional { r throws(DamagedSnapshot) in try r.string() })
            }
            let odp = try optional { r throws(DamagedSnapshot) in ODP(low: try r.double(), high: try r.double()) }
            let gwp = try optional { r throws(DamagedSnapshot) in try r.double() }
            let composition = try array { r throws(DamagedSnapshot) in
                Component(
                    designation: try r.string(), itemID: try r.optional { r throws(DamagedSnapshot) in try r.string() },
                    massPercent: try r.double())
            }
            let taxonomy = try optional { r throws(DamagedSnapshot) -> Taxonomy in
                let rank = try r.value(Taxonomy.Rank(rawValue: try r.string()), "rank")
                var ranks: [String?] = []
                for _ in 0..<6 { ranks.append(try r.optional { r throws(DamagedSnapshot) in try r.string() }) }
                return Taxonomy(
                    rank: rank, kingdom: ranks[0], phylum: ranks[1], class: ranks[2], order: ranks[3],
                    family: ranks[4], genus: ranks[5])
            }
            let excludes = try strings()
            let related = try strings()
            let category = try optional { r throws(DamagedSnapshot) in try r.string() }
            let note = try optional { r throws(DamagedSnapshot) in try r.string() }
            let source = try string()
            return ControlledItem(
                id: id, regime: regime, kind: kind, controlled: controlled,
                names: ItemNames(
                    preferred: preferred, synonyms: synonyms, tradeNames: tradeNames,
                    common: Dictionary(common, uniquingKeysWith: { a, _ in a })),
                identifiers: ItemIdentifiers(
                    cas: cas, hs: hs, ashrae: ashrae, basel: basel, lmo: lmo, formula: formula),
                listings: listings, odp: odp, gwp: gwp, composition: composition, taxonomy: taxonomy,
                excludes: excludes,
                related: related, category: category, note: note, source: source)
        }
    }
}
