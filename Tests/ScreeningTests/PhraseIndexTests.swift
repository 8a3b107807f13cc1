import GreenCustomsCore
import GreenCustomsTestSupport
import Testing

@testable import Screening

@Suite("Byte tokenizer and phrase index")
struct PhraseIndexTests {
    static let index = PhraseIndex(reference: Fixtures.bundled.set)

    func hashes(_ text: String) -> [UInt64] { ByteTokenizer.tokens(Array(text.utf8)).map(\.hash) }

    @Test("Tokens ignore case, accents and punctuation, and stem plurals like the look-up does")
    func tokens() {
        let tokens = ByteTokenizer.tokens(Array("Éléphant d'Afrique, R-22!".utf8))
        #expect(tokens.map(\.start) == [0, 11, 13, 22, 24])  // byte offsets: É and é are two bytes
        #expect(hashes("Éléphant d'Afrique") == hashes("ELEPHANT D AFRIQUE"))
        #expect(hashes("seahorses") == hashes("seahorse"))
        #expect(hashes("species") != hashes("specie"))
        #expect(hashes("Crocodylus") == hashes("crocodylus"))
        #expect(hashes("Straße") == hashes("strasse"))
        #expect(hashes("œuf") == hashes("oeuf"))
        #expect(ByteTokenizer.tokens(Array("R-22".utf8)).map(\.isNumber) == [false, true])
        #expect(ByteTokenizer.tokens(Array("слон африканский".utf8)).count == 2)
        #expect(ByteTokenizer.tokens(Array("  ,;  ".utf8)).isEmpty)
        #expect(ByteTokenizer.tokens([0xC3]).count == 1)  // a truncated sequence is still a token, not a trap
    }

    func items(_ text: String) -> [String] {
        Self.index.matches(in: Array(text.utf8)).map { Fixtures.bundled.set.items[$0.item].id }
    }

    @Test("Names are found in descriptions on word boundaries, longest first")
    func matches() {
        #expect(items("Carved African elephant ivory figurines").contains("cites:loxodonta-africana"))
        #expect(items("20 logs of Dalbergia nigra, sawn").contains("cites:dalbergia-nigra"))
        #expect(!items("20 logs of Dalbergia nigra, sawn").contains("cites:dalbergia"))  // the longer name wins
        #expect(items("live seahorses for aquaria").contains("cites:hippocampus"))
        #expect(items("Éléphant d'Afrique, défenses").contains("cites:loxodonta-africana"))
        #expect(!items("African grey paint").contains("cites:loxodonta-africana"))
        #expect(items("drums of endosulfan 35% EC").contains("rotterdam:endosulfan"))
        #expect(items("Freon 12 cylinders").contains("montreal:cfc-12"))
        #expect(items("cotton t-shirts").isEmpty)
    }

    @Test("Match offsets point at the evidence in the text")
    func evidence() throws {
        let text = Array("Shipment: Python regius skins".utf8)
        let match = try #require(
            Self.index.matches(in: text).first { Fixtures.bundled.set.items[$0.item].id == "cites:python-regius" })
        #expect(String(decoding: text[match.start..<match.end], as: UTF8.self) == "Python regius")
    }
}
