import GreenCustomsCore
import GreenCustomsTestSupport
import Testing

@testable import ReferenceData

@Suite("Reference snapshots")
struct ReferenceSnapshotTests {
    typealias Damaged = ReferenceSnapshot.DamagedSnapshot

    static let bundled = Fixtures.bundled.set
    static let bundledSnapshot = ReferenceSnapshot.encode(bundled)

    /// Checks every part of two sets, naming the part that differs.
    static func expectEqual(_ a: ReferenceSet, _ b: ReferenceSet, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(a.version == b.version, sourceLocation: sourceLocation)
        #expect(a.items.count == b.items.count, sourceLocation: sourceLocation)
        for (x, y) in zip(a.items, b.items) where x != y {
            Issue.record("item \(x.id) differs after the round trip:\n\(x)\n\(y)", sourceLocation: sourceLocation)
        }
        #expect(a.countries == b.countries, sourceLocation: sourceLocation)
        #expect(a.requirements == b.requirements, sourceLocation: sourceLocation)
        #expect(a.hsLinks == b.hsLinks, sourceLocation: sourceLocation)
        #expect(a.tradeTerms == b.tradeTerms, sourceLocation: sourceLocation)
        #expect(a.hsDescriptions == b.hsDescriptions, sourceLocation: sourceLocation)
    }

    /// A small set with every kind of record and every optional both present and absent, so that damaging each of
    /// its bytes is cheap.
    static let small: ReferenceSet = {
        let pick = [
            "montreal:hcfc-22", "montreal:hcfc-225", "montreal:r-502", "cites:aloe", "cites:python-regius",
            "basel:a1160", "cartagena:mon-00810-6", "cwc:methylphosphonic-acid", "refrigerant:r-290",
        ]
        var items = pick.map { id in bundled.items.first { $0.id == id }! }
        items.append(
            ControlledItem(
                id: "test:ünïcödé", regime: .stockholm, kind: .family, controlled: false,
                names: ItemNames(preferred: "", common: ["zh": ["滴滴涕"], "fr": []]),
                identifiers: ItemIdentifiers(formula: "C14H9Cl5"),
                listings: [Listing(regime: .stockholm, list: "Annex B", entry: "", inForce: nil, annotation: "\u{0}")],
                odp: ODP(low: -0.0, high: 1e300), gwp: 0,
                composition: [Component(designation: "X", itemID: nil, massPercent: 0.1)],
                taxonomy: Taxonomy(rank: .variety), note: "note", source: "test"))
        var countries = ["DE", "NG", "AI", "TW"].map { code in bundled.countries.first { $0.code.text == code }! }
        countries[0].names["de"] = "Deutschland"
        return ReferenceSet(
            items: items, countries: countries, requirements: Array(bundled.requirements.prefix(4)),
            hsLinks: Array(bundled.hsLinks.prefix(3)) + bundled.hsLinks.filter { $0.note == nil }.prefix(1),
            tradeTerms: Array(bundled.tradeTerms.prefix(3)),
            hsDescriptions: ["01": "Live animals", "0106": "Other live animals", "010620": "Reptiles"],
            version: "bundled-2025.1+test; cites-2017")
    }()
    static let smallSnapshot = ReferenceSnapshot.encode(small)

    @Test("The bundled set survives encoding and decoding unchanged")
    func bundledRoundTrip() throws {
        let decoded = try ReferenceSnapshot.decode(Self.bundledSnapshot)
        Self.expectEqual(decoded, Self.bundled)
        #expect(decoded.items.count > 1000)
        #expect(ReferenceSnapshot.encode(decoded) == Self.bundledSnapshot)
        #expect(Array(Self.bundledSnapshot.prefix(4)) == Array("GCRS".utf8))
    }

    @Test("A small set with every optional field, territories, HS texts and odd strings survives the round trip")
    func smallRoundTrip() throws {
        #expect(Self.small.countries.contains { $0.partyVia != nil })
        let decoded = try ReferenceSnapshot.decode(Self.smallSnapshot)
        Self.expectEqual(decoded, Self.small)
        #expect(decoded.items.last?.odp?.low.sign == .minus)
        #expect(decoded.hsDescriptions["010620"] == "Reptiles")
    }

    @Test("Encoding is deterministic: dictionaries are written in key order")
    func deterministic() {
        #expect(ReferenceSnapshot.encode(Self.bundled) == Self.bundledSnapshot)
        var shuffled = Self.small
        shuffled.hsDescriptions = Dictionary(uniqueKeysWithValues: Self.small.hsDescriptions.reversed())
        #expect(ReferenceSnapshot.encode(shuffled) == Self.smallSnapshot)
    }

    @Test("Every truncation of a snapshot is reported as damaged")
    func truncations() {
        var decodedAnyway: [Int] = []
        for length in 0..<Self.smallSnapshot.count {
            do {
                _ = try ReferenceSnapshot.decode(Array(Self.smallSnapshot.prefix(length)))
                decodedAnyway.append(length)
            } catch {
                #expect(!error.description.isEmpty)
            }
        }
        #expect(decodedAnyway.isEmpty)
        // The large one, at a spread of lengths.
        let count = Self.bundledSnapshot.count
        for length in stride(from: 0, to: count, by: max(1, count / 97)) + [count - 1] {
            #expect(throws: Damaged.self) { try ReferenceSnapshot.decode(Array(Self.bundledSnapshot.prefix(length))) }
        }
    }

    @Test("Damaged bytes give an error or a set, never a crash")
    func byteFlips() {
        var generator = SplitMix64(seed: 99)
        var damaged = 0
        for iteration in 0..<3000 {
            var bytes = Self.smallSnapshot
            for _ in 0...(generator.next() % 3) {
                let position = Int(generator.next() % UInt64(bytes.count))
                bytes[position] =
                    iteration % 2 == 0
                    ? bytes[position] ^ (1 << UInt8(generator.next() % 8)) : UInt8(truncatingIfNeeded: generator.next())
            }
            do {
                let set = try ReferenceSnapshot.decode(bytes)
                // What decodes can be encoded again.
                _ = ReferenceSnapshot.encode(set)
            } catch {
                damaged += 1
            }
        }
        #expect(damaged > 0)
        // Any change to the magic or the format version is caught.
        for position in 0..<5 {
            for bit in 0..<8 {
                var bytes = Self.smallSnapshot
                bytes[position] ^= 1 << UInt8(bit)
                #expect(throws: Damaged.self) { try ReferenceSnapshot.decode(bytes) }
            }
        }
        for _ in 0..<40 {
            var bytes = Self.bundledSnapshot
            let position = Int(generator.next() % UInt64(bytes.count))
            bytes[position] ^= 0xFF
            _ = try? ReferenceSnapshot.decode(bytes)
        }
    }

    @Test("Huge counts and over-long integers are rejected without allocating")
    func hugeCounts() throws {
        // Magic, format 1, then a version string claiming 2^62 bytes.
        var bytes = Array("GCRS".utf8) + [1]
        bytes += [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40]
        #expect(throws: Damaged.self) { try ReferenceSnapshot.decode(bytes) }
        // A negative count (the varint of -1).
        let negative = Array("GCRS".utf8) + [1] + [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]
        #expect(throws: Damaged.self) { try ReferenceSnapshot.decode(negative) }
        // An integer that never ends.
        let endless = Array("GCRS".utf8) + [UInt8](repeating: 0xFF, count: 64)
        let error = try #require(throws: Damaged.self) { try ReferenceSnapshot.decode(endless) }
        #expect(error.description.contains("integer too long"))
    }

    @Test("Another magic, another format version or trailing bytes are rejected with a reason")
    func wrongFormat() throws {
        var magic = Self.smallSnapshot
        magic[3] = UInt8(ascii: "X")
        let notSnapshot = try #require(throws: Damaged.self) { try ReferenceSnapshot.decode(magic) }
        #expect(notSnapshot.description == "not a Green Customs reference snapshot")
        #expect(throws: Damaged.self) { try ReferenceSnapshot.decode([]) }
        #expect(throws: Damaged.self) { try ReferenceSnapshot.decode(Array("GCR".utf8)) }
        #expect(throws: Damaged.self) { try ReferenceSnapshot.decode(Array("{\"items\":[]}".utf8)) }

        var format = Self.smallSnapshot
        #expect(format[4] == UInt8(ReferenceSnapshot.formatVersion))
        format[4] = UInt8(ReferenceSnapshot.formatVersion + 1)
        let version = try #require(throws: Damaged.self) { try ReferenceSnapshot.decode(format) }
        let expected = ReferenceSnapshot.formatVersion
        #expect(version.description == "snapshot format \(expected + 1), expected \(expected)")

        let trailing = try #require(throws: Damaged.self) { try ReferenceSnapshot.decode(Self.smallSnapshot + [0]) }
        #expect(trailing.description == "1 unexpected byte(s) at the end")
    }

    @Test("A text that many records share is stored once")
    func sharedTextsStoredOnce() throws {
        let set = Self.bundled
        let source = try #require(
            Dictionary(grouping: set.items, by: \.source).max { $0.value.count < $1.value.count })
        #expect(source.value.count > 10)
        let bytes = ReferenceSnapshot.encode(set)
        let needle = Array(source.key.utf8)
        var occurrences = 0
        var i = 0
        while i + needle.count <= bytes.count {
            if bytes[i] == needle[0], Array(bytes[i..<(i + needle.count)]) == needle { occurrences += 1 }
            i += 1
        }
        #expect(occurrences == 1, "\(source.key) is the source of \(source.value.count) items")
        Self.expectEqual(try ReferenceSnapshot.decode(bytes), set)
    }

    @Test("The version read from the files' bytes is the version of the loaded set")
    func bundledVersion() throws {
        let version = try BundledReference.version()
        #expect(try version == BundledReference.load().set.version)
        #expect(version == Fixtures.bundled.set.version)
        #expect(version.hasPrefix("bundled-\(BundledReference.release)+"))
    }
}
