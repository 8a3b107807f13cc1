import GreenCustomsCore
import GreenCustomsTestSupport
import Testing

@testable import Screening

@Suite("Scientific name index, edit distance and hash postings")
struct ScientificNameIndexTests {
    static var engine: ScreeningEngine { ScreeningEngineTests.engine }

    // MARK: Edit distance

    /// The bounded distance between `text[start..<end]` and `target` (which must be lower case).
    static func distance(_ text: String, _ target: String, limit: Int, range: Range<Int>? = nil) -> Int {
        let a = Array(text.utf8)
        let b = Array(target.utf8)
        let r = range ?? 0..<a.count
        return a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in EditDistance.bounded(a, r.lowerBound, r.upperBound, b, limit: limit) }
        }
    }

    @Test("Edit distance counts substitutions, insertions, deletions and adjacent transpositions as one edit each")
    func editDistance() {
        #expect(Self.distance("regius", "regius", limit: 2) == 0)
        #expect(Self.distance("REGIUS", "regius", limit: 2) == 0)  // the text is lower-cased on the fly
        #expect(Self.distance("reguis", "regius", limit: 2) == 1)  // transposition
        #expect(Self.distance("rgeius", "regius", limit: 2) == 1)
        #expect(Self.distance("regiux", "regius", limit: 2) == 1)  // substitution
        #expect(Self.distance("regus", "regius", limit: 2) == 1)  // deletion
        #expect(Self.distance("reggius", "regius", limit: 2) == 1)  // insertion
        #expect(Self.distance("rejiux", "regius", limit: 2) == 2)
        // Optimal string alignment: a transposed pair is not edited again.
        #expect(Self.distance("ca", "abc", limit: 5) == 3)
        #expect(Self.distance("", "abc", limit: 5) == 3)
        #expect(Self.distance("abc", "", limit: 5) == 3)
        #expect(Self.distance("", "", limit: 0) == 0)
    }

    @Test("Edit distance stops at the limit and answers limit + 1 beyond it")
    func editDistanceLimit() {
        #expect(Self.distance("abcdef", "uvwxyz", limit: 2) == 3)
        #expect(Self.distance("abcdef", "uvwxyz", limit: 6) == 6)
        #expect(Self.distance("rejiux", "regius", limit: 1) == 2)
        #expect(Self.distance("ab", "abcdef", limit: 1) == 2)  // lengths alone exceed the limit
        #expect(Self.distance("regius", "regius", limit: 0) == 0)
        #expect(Self.distance("reguis", "regius", limit: 0) == 1)
        // Words over 48 letters are never compared.
        let long = String(repeating: "a", count: 49)
        #expect(Self.distance(long, long, limit: 2) == 3)
    }

    @Test("Edit distance reads only the given range of the text")
    func editDistanceRange() {
        let text = "xx Reguis yy"
        #expect(Self.distance(text, "regius", limit: 2, range: 3..<9) == 1)
        #expect(Self.distance(text, "regius", limit: 2, range: 0..<6) == 3)
    }

    // MARK: Hash postings

    @Test("Hash postings keep the values of a key in insertion order; missing keys are empty")
    func postings() {
        let postings = HashPostings([(7, 1), (8, 2), (7, 3), (9, 4), (7, 5)])
        #expect(postings.count == 3)
        #expect(postings[7] == [1, 3, 5])
        #expect(postings[8] == [2])
        #expect(postings[9] == [4])
        #expect(postings[10] == [])
        #expect(postings.range(10).isEmpty)
        #expect(postings.contains(7))
        #expect(!postings.contains(10))
        let range = postings.range(7)
        #expect(range.map(postings.value(at:)) == [1, 3, 5])
    }

    @Test("Key 0 is stored and found like any other key")
    func keyZero() {
        let postings = HashPostings([(0, 42), (5, 1)])
        #expect(postings[0] == [42])
        #expect(postings.contains(0))
        #expect(postings[5] == [1])
        #expect(HashPostings([(5, 1)])[0] == [])
    }

    @Test("An empty table answers every key with nothing")
    func emptyPostings() {
        let postings = HashPostings([])
        #expect(postings.count == 0)
        for key: UInt64 in [0, 1, 2, .max, 0x9E37_79B9_7F4A_7C15] { #expect(postings[key] == []) }
    }

    @Test("Hash postings agree with a dictionary over many keys, including colliding slots")
    func postingsAgainstDictionary() {
        var generator = SplitMix64(seed: 7)
        var pairs: [(UInt64, Int32)] = []
        var expected: [UInt64: [Int32]] = [:]
        // Random keys, plus keys that differ only in their low bits (they share a slot prefix).
        var keys = (0..<3000).map { _ in generator.next() }
        keys += (0..<200).map { UInt64($0) << 40 }
        for (n, key) in keys.enumerated() {
            let count = Int(generator.next() % 3) + 1
            for k in 0..<count {
                let value = Int32(n * 4 + k)
                pairs.append((key, value))
                expected[key == 0 ? 1 : key, default: []].append(value)
            }
        }
        let postings = HashPostings(pairs)
        for key in keys { #expect(postings[key] == expected[key == 0 ? 1 : key]) }
        for _ in 0..<3000 {
            let absent = generator.next()
            if expected[absent] == nil { #expect(postings[absent].isEmpty) }
        }
    }

    // MARK: Scanning

    struct Found: Equatable, CustomStringConvertible {
        var id: String
        var evidence: String
        var distance: Int
        var inherited: Bool
        var description: String { "\(id) \"\(evidence)\" \(distance)\(inherited ? " inherited" : "")" }
    }

    static func scan(_ text: String, covered: Set<Int> = []) -> [Found] {
        let bytes = Array(text.utf8)
        let tokens = ByteTokenizer.tokens(bytes)
        var hits: [ScientificNameIndex.Hit] = []
        bytes.withUnsafeBufferPointer { buffer in
            let facts = tokens.map { engine.facts(of: $0, in: buffer) }
            engine.scientificNames.scan(
                buffer, tokens: tokens, facts: facts, covered: { covered.contains($0) }, into: &hits)
        }
        return hits.map {
            Found(
                id: Fixtures.bundled.set.items[$0.item].id,
                evidence: String(decoding: bytes[$0.start..<$0.end], as: UTF8.self), distance: $0.distance,
                inherited: $0.inherited)
        }
    }

    static func typo(_ text: String) -> Found? { scan(text).first { !$0.inherited } }

    @Test("Typo allowance grows with the length of the misspelt half")
    func allowance() {
        #expect((1...12).map(ScientificNameIndex.allowance) == [0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2])
        // "regius" (6 letters): one edit, not two.
        #expect(
            Self.typo("Python reguis")
                == Found(id: "cites:python-regius", evidence: "Python reguis", distance: 1, inherited: false))
        #expect(Self.typo("Python rejiux") == nil)
        // "reticulatus" (11 letters): two edits.
        #expect(Self.typo("Malayopython retikulatos")?.id == "cites:malayopython-reticulatus")
        #expect(Self.typo("Malayopython retikulatos")?.distance == 2)
        #expect(Self.typo("Malayopython retikulatoss") == nil)
        // "huso" (4 letters): none.
        #expect(Self.typo("Huso hsuo") == nil)
        #expect(Self.typo("Huso huzo") == nil)
    }

    @Test("A misspelt genus is found through its epithet")
    func misspeltGenus() {
        #expect(
            Self.typo("Pyton regius")
                == Found(id: "cites:python-regius", evidence: "Pyton regius", distance: 1, inherited: false))
        #expect(Self.typo("Loxodonta afrikana")?.id == "cites:loxodonta-africana")
        #expect(Self.typo("Loxodnota africana")?.id == "cites:loxodonta-africana")
    }

    @Test("A typo on the first letter is not read as a name")
    func firstLetter() {
        #expect(Self.typo("Python zegius") == nil)
        #expect(Self.scan("Fython regius").isEmpty)
        #expect(Self.typo("Python eegius") == nil)
    }

    @Test("A typo that deleted, replaced or moved the space is caught")
    func spaceTypos() {
        for text in ["Pythonregius", "Pythonxregius", "Pytho nregius", "Pythonr egius"] {
            let found = Self.typo(text)
            #expect(found?.id == "cites:python-regius", "\(text)")
            #expect(found?.evidence == text, "\(text)")
            #expect(found?.distance == 1, "\(text)")
        }
    }

    @Test("An unlisted species of a listed genus, family or order is a hit on the higher taxon")
    func inherited() {
        #expect(
            Self.scan("Morelia carinata") == [
                Found(id: "cites:pythonidae", evidence: "Morelia carinata", distance: 0, inherited: true)
            ])
        #expect(
            Self.scan("live Huso hsuo") == [
                Found(id: "cites:acipenseriformes", evidence: "Huso hsuo", distance: 0, inherited: true)
            ])
        // An epithet has letters only.
        #expect(Self.scan("Morelia 4wd").isEmpty)
    }

    @Test("Words already inside an exact name, numbers and ordinary text give nothing")
    func noHits() {
        #expect(Self.scan("Pyton regius", covered: [0, 1]).isEmpty)
        #expect(Self.scan("Python reguis", covered: [1]).allSatisfy { $0.id != "cites:python-regius" })
        for text in ["cotton t-shirts for men", "minor parts of engines", "12345 67890", "", "a b c d"] {
            #expect(Self.scan(text).isEmpty, "\(text)")
        }
    }

    @Test("Scanning arbitrary bytes never traps")
    func arbitraryBytes() {
        var generator = SplitMix64(seed: 11)
        let alphabet = Array("Pythonregius Loxodontaafricn -.,0123456789 ".utf8) + [0xC3, 0xA9, 0xFF, 0x00]
        for _ in 0..<2000 {
            let length = Int(generator.next() % 40)
            let bytes = (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            let tokens = ByteTokenizer.tokens(bytes)
            var hits: [ScientificNameIndex.Hit] = []
            bytes.withUnsafeBufferPointer { buffer in
                let facts = tokens.map { Self.engine.facts(of: $0, in: buffer) }
                Self.engine.scientificNames.scan(
                    buffer, tokens: tokens, facts: facts, covered: { _ in false }, into: &hits)
            }
            for hit in hits {
                #expect(0 <= hit.start && hit.start < hit.end && hit.end <= bytes.count)
            }
        }
    }
}
