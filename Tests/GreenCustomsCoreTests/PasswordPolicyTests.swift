import GreenCustomsCore
import Testing

@Suite("Account names and passwords")
struct PasswordPolicyTests {
    @Test(
        "Guessable passwords are refused",
        arguments: [
            "short", "passwordpassword", "Password1234", "123456789012", "abcdefghijklmnop", "qwertyuiopasdf",
            "aaaaaaaaaaaaaaaa", "abcabcabcabcabc", "121212121212", "amina-password-x", "x AMINA y 2026 z",
            "zyxwvutsrqponm", String(repeating: "é", count: 40),
        ])
    func refused(password: String) {
        #expect(UserAccount.problem(withPassword: password, name: "amina") != nil, "\(password)")
    }

    @Test(
        "Passphrases people choose are accepted",
        arguments: ["purple kettle rides at dawn", "Tortue-verte 1987 à Dakar", "блокпост у реки 42", "海关绿色倡议二〇二六年培训"])
    func accepted(password: String) {
        #expect(UserAccount.problem(withPassword: password, name: "amina") == nil, "\(password)")
    }

    @Test("Names that differ only by case or . _ - share one key; a name needs three letters or digits")
    func keys() {
        #expect(UserAccount.key(forName: "Admin.1") == UserAccount.key(forName: "admin_1"))
        #expect(UserAccount.key(forName: "ADMIN1") == "admin1")
        #expect(UserAccount.problem(withName: "a.-_") != nil)
        #expect(UserAccount.problem(withName: "amina.k") == nil)
    }
}
