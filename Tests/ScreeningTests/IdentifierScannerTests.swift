import Testing

@testable import Screening

@Suite("Identifiers in free text")
struct IdentifierScannerTests {
    func kinds(_ text: String) -> [IdentifierScanner.Kind] { IdentifierScanner.scan(Array(text.utf8)).map(\.kind) }

    @Test(
        "ASHRAE designations in the spellings traders use",
        arguments: [
            ("Refrigerant gas R-22 in 13.6 kg cylinders", "R22"), ("R22 refill", "R22"), ("gas R 410A", "R410A"),
            ("HCFC-22", "R22"), ("hfc 134a", "R134A"), ("R-1234yf cans", "R1234YF"), ("R-1234ze(E)", "R1234ZEE"),
            ("HFC-43-10mee solvent", "R4310MEE"), ("R-E170", "RE170"), ("R-C318", "RC318"), ("(R-404A)", "R404A"),
        ])
    func ashrae(text: String, key: String) {
        #expect(kinds(text).contains(.ashrae(key: key)), "\(text): \(kinds(text))")
    }

    @Test(
        "Words that only look like designations are not",
        arguments: [
            "Refrigerator parts", "Rhino", "HR-22 steel", "car22", "sheet metal R-", "FR22X",
        ])
    func notASHRAE(text: String) {
        #expect(!kinds(text).contains { if case .ashrae = $0 { true } else { false } }, "\(text): \(kinds(text))")
    }

    @Test("CAS numbers, with the check digit verified")
    func cas() {
        #expect(kinds("chlorodifluoromethane CAS 75-45-6, 99.9%") == [.cas("75-45-6", valid: true)])
        #expect(kinds("CAS 75-45-7") == [.cas("75-45-7", valid: false)])
        #expect(kinds("CAS 0075-45-6") == [.cas("75-45-6", valid: true)])
        #expect(kinds("tel 2024-11-23").isEmpty)  // a date is not a CAS number
        #expect(kinds("12345678-12-1").isEmpty)
    }

    @Test("OECD unique identifiers with Ø or 0")
    func lmo() {
        #expect(kinds("maize grain MON-ØØ81Ø-6 event") == [.lmo(key: "MON-00810-6")])
        #expect(kinds("soybean (mon-04032-6)") == [.lmo(key: "MON-04032-6")])
        #expect(kinds("part no ABC-12-3").isEmpty)
    }

    @Test("Offsets point at the evidence")
    func offsets() throws {
        let text = Array("Gas R-410A 11.3 kg".utf8)
        let found = try #require(IdentifierScanner.scan(text).first)
        #expect(String(decoding: text[found.start..<found.end], as: UTF8.self) == "R-410A")
    }
}
