import Testing

@testable import GreenCustomsCore

@Suite("Identifiers")
struct IdentifierTests {
    @Test(
        "CAS numbers are verified by their check digit",
        arguments: [
            ("75-45-6", "75-45-6"), ("0075-45-6", "75-45-6"), (" 7732-18-5 ", "7732-18-5"), ("115-29-7", "115-29-7"),
            ("1336-36-3", "1336-36-3"), ("50-00-0", "50-00-0"),
        ])
    func validCAS(raw: String, canonical: String) throws {
        #expect(try CASNumber(validating: raw).text == canonical)
    }

    @Test("A wrong check digit is reported with the expected digit")
    func wrongCheckDigit() {
        #expect(throws: CASNumber.Problem.checkDigit("75-45-7", expected: 6)) { try CASNumber(validating: "75-45-7") }
        #expect(CASNumber("75-45-7") == nil)
        #expect(CASNumber.looksLikeCAS("75-45-7"))
    }

    @Test(
        "Malformed CAS numbers are rejected",
        arguments: ["75456", "75-4-6", "7-45-6-1", "ab-45-6", "", "12345678-12-1"])
    func malformedCAS(raw: String) {
        #expect(CASNumber(raw) == nil)
    }

    @Test("HS codes with or without dots, national extensions keep their subheading")
    func hsCodes() throws {
        #expect(try HSCode(validating: "2903.71").digits == "290371")
        #expect(HSCode("290371")?.formatted == "2903.71")
        #expect(HSCode("2903.71.00")?.subheading == "290371")
        #expect(HSCode("0106 20 00 10")?.subheading == "010620")
        #expect(HSCode("0106.20")?.heading == "0106")
        #expect(HSCode("2903") == nil)  // a heading is not a subheading
        #expect(HSCode("9901.00") == nil)  // chapter 99 does not exist in the HS
        #expect(HSCode("29O3.71") == nil)
    }

    @Test("ASHRAE designations in every usual spelling are one value")
    func ashrae() {
        let forms = ["R-22", "R22", "r 22", "HCFC-22", "hcfc 22", "Refrigerant 22"]
        let keys = Set(forms.compactMap { ASHRAEDesignation($0)?.key })
        #expect(keys == ["R22"])
        #expect(ASHRAEDesignation("R410a") == ASHRAEDesignation("R-410A"))
        #expect(ASHRAEDesignation("HFO-1234yf")?.text == "R-1234yf")
        #expect(ASHRAEDesignation("R-1234ze(E)")?.key == "R1234ZEE")
        #expect(ASHRAEDesignation("R-E170") != nil)
        #expect(ASHRAEDesignation("R-C318") != nil)
        #expect(ASHRAEDesignation("HFC-43-10mee")?.key == "R4310MEE")
        #expect(ASHRAEDesignation("R-13B1")?.key == "R13B1")
        #expect(ASHRAEDesignation("Rhino") == nil)
        #expect(ASHRAEDesignation("R-") == nil)
        #expect(ASHRAEDesignation("Freon 12") == nil)
    }

    @Test("Basel codes of every annex")
    func baselCodes() {
        #expect(BaselCode("Y46")?.list == .y)
        #expect(BaselCode("y49")?.text == "Y49")
        #expect(BaselCode("A1181")?.list == .a)
        #expect(BaselCode("b3011")?.text == "B3011")
        #expect(BaselCode("H6.1")?.list == .h)
        #expect(BaselCode("Y50") == nil)
        #expect(BaselCode("Y0") == nil)
        #expect(BaselCode("A999") == nil)
        #expect(BaselCode("H14") == nil)
    }

    @Test("OECD unique identifiers treat Ø and 0 alike")
    func lmoIdentifiers() {
        #expect(LMOIdentifier("MON-ØØ81Ø-6") == LMOIdentifier("MON-00810-6"))
        #expect(LMOIdentifier("mon-00810-6")?.text == "MON-ØØ81Ø-6")
        #expect(LMOIdentifier("SYN-IR162-4") != nil)
        #expect(LMOIdentifier("DAS-Ø15Ø7-1")?.key == "DAS-01507-1")
        #expect(LMOIdentifier("MON-810") == nil)
        #expect(LMOIdentifier("MON-00810-X") == nil)
    }

    @Test("Calendar dates parse strictly")
    func dates() {
        #expect(CalendarDate(iso: "2019-01-01")?.description == "2019-01-01")
        #expect(CalendarDate(iso: "2024-02-29") != nil)
        #expect(CalendarDate(iso: "2023-02-29") == nil)
        #expect(CalendarDate(iso: "2023-13-01") == nil)
        #expect(CalendarDate(iso: "23-01-01") == nil)
        #expect(CalendarDate(iso: "2019-01-01")! < CalendarDate(iso: "2019-01-02")!)
    }

    @Test("Requirement listings match whole words: Appendix I is not Appendix II")
    func listingPatterns() {
        #expect(Requirement.listing("Appendix I", matches: "Appendix I"))
        #expect(!Requirement.listing("Appendix I", matches: "Appendix II"))
        #expect(Requirement.listing("Appendix II", matches: "Appendix I/II"))
        #expect(Requirement.listing("Annex C", matches: "Annex C, Group I"))
        #expect(!Requirement.listing("Annex C", matches: "Annex A, Group I"))
        #expect(Requirement.listing("Schedule 2", matches: "Schedule 2, Part B"))
        #expect(!Requirement.listing("Annex VIII", matches: "Annex IX"))
    }

    @Test("Membership is decided by the date the agreement entered into force for the country")
    func membership() {
        let country = Country(
            code: CountryCode("US")!, alpha3: "USA", numeric: "840", names: ["en": "United States"],
            memberships: [.kigali: CalendarDate(iso: "2023-01-29")!], source: "test")
        #expect(country.isParty(to: .kigali, on: CalendarDate(iso: "2023-01-29")!))
        #expect(!country.isParty(to: .kigali, on: CalendarDate(iso: "2023-01-28")!))
        #expect(!country.isParty(to: .basel, on: CalendarDate(iso: "2025-01-01")!))
    }
}
