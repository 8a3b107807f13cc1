import Foundation

/// What a person does in Green Customs. A role grants a fixed set of permissions (`Role.permissions`); public pages
/// (the Guide, look-up, item pages) need none.
public enum Role: String, CaseIterable, Codable, Sendable, Comparable {
    /// A front-line customs or border officer.
    case officer
    /// A risk analyst or a national system screening declaration files.
    case analyst
    /// A National Ozone Unit, CITES Management Authority, Basel or Rotterdam focal point.
    case licensingAuthority = "licensing_authority"
    /// Investigators and enforcement units.
    case enforcement
    case trainer
    /// A partner organisation (the Green Customs Initiative's partners).
    case partner
    /// The Green Customs secretariat: looks after the reference data.
    case secretariat
    /// Manages accounts and reads the audit log.
    case admin

    public var title: String {
        switch self {
        case .officer: "Officer"
        case .analyst: "Risk analyst"
        case .licensingAuthority: "Licensing authority"
        case .enforcement: "Enforcement"
        case .trainer: "Trainer"
        case .partner: "Partner"
        case .secretariat: "Secretariat"
        case .admin: "Administrator"
        }
    }

    /// What the role may do.
    public var permissions: Set<Permission> {
        switch self {
        case .officer, .analyst, .licensingAuthority, .enforcement: [.screen]
        case .trainer, .partner: []
        case .secretariat: [.screen, .importReference]
        case .admin: Set(Permission.allCases)
        }
    }

    public func may(_ permission: Permission) -> Bool { permissions.contains(permission) }

    public static func < (a: Role, b: Role) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// Something only some roles may do.
public enum Permission: String, CaseIterable, Codable, Sendable {
    /// Screen declaration lines, in the browser or through the API.
    case screen
    /// Import a new official list (a CITES export).
    case importReference = "import_reference"
    /// Read the audit log.
    case readAudit = "read_audit"
    /// Create and disable accounts and API tokens.
    case manageAccounts = "manage_accounts"
}

/// A person's account, without its secrets.
public struct UserAccount: Sendable, Equatable, Codable, Identifiable {
    public var id: UUID
    /// The sign-in name: 3–64 characters of letters, digits, `.`, `_`, `-` and `@`.
    public var name: String
    public var role: Role
    public var disabled: Bool
    public var createdAt: Date

    public init(id: UUID, name: String, role: Role, disabled: Bool, createdAt: Date) {
        self.id = id
        self.name = name
        self.role = role
        self.disabled = disabled
        self.createdAt = createdAt
    }

    /// The form under which names are compared: lower case, without `.`, `_` and `-`. Two accounts whose names have
    /// the same key cannot both exist (`admin1`, `ADMIN1` and `admin.1` would otherwise pass for one another in an
    /// audit log or a list), and signing in finds an account by its key.
    public static func key(forName name: String) -> String {
        String(name.lowercased().unicodeScalars.filter { $0 != "." && $0 != "_" && $0 != "-" })
    }

    /// Why `name` cannot be an account name, or nil when it can.
    public static func problem(withName name: String) -> String? {
        guard (3...64).contains(name.count) else { return "an account name has 3 to 64 characters" }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@")
        guard name.allSatisfy(allowed.contains) else {
            return "an account name has only letters a–z, digits and . _ - @"
        }
        guard key(forName: name).count >= 3 else {
            return "an account name has at least 3 letters or digits"
        }
        return nil
    }

    /// Why `password` is too weak for the account `name`, or nil. Follows NIST SP 800-63B: a length floor, no
    /// composition rules, and a refusal of what guessers try first (the account's own name, one character or a
    /// short run repeated, keyboard and alphabet sequences, well-known passwords).
    public static func problem(withPassword password: String, name: String? = nil) -> String? {
        if password.count < 12 { return "a password has at least 12 characters" }
        if password.utf8.count > 72 { return "a password has at most 72 bytes (Bcrypt reads no further)" }
        let lower = password.lowercased()
        if let name, key(forName: name).count >= 3 {
            let folded = key(forName: lower)
            if folded.contains(key(forName: name)) { return "a password does not contain the account name" }
        }
        if Set(lower).count < 5 { return "a password has at least 5 different characters" }
        let compact = String(lower.filter { !$0.isWhitespace })
        for run in 1...4 where compact.count >= run * 3 {
            // "abcabcabcabc", "121212121212": a short run repeated.
            let unit = compact.prefix(run)
            if String(repeating: String(unit), count: compact.count / run + 1).hasPrefix(compact) {
                return "a password is not a few characters repeated"
            }
        }
        if Self.sequences.contains(where: { $0.contains(compact) }) {
            return "a password is not a keyboard or alphabet sequence"
        }
        let letters = String(lower.filter { $0.isLetter })
        if Self.commonPasswords.contains(compact) || Self.commonPasswords.contains(letters) {
            return "this password is among the most used ones; choose a phrase of your own"
        }
        return nil
    }

    /// Sequences a guesser tries, forwards and backwards (a password that is a stretch of one is refused).
    static let sequences: [String] = {
        let rows = [
            "01234567890123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiopasdfghjklzxcvbnm", "qwertyuiop[]",
            "asdfghjkl;'", "zxcvbnm,./", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/", "qazwsxedcrfvtgbyhnujmikolp",
            "azertyuiopqsdfghjklmwxcvbn", "qwertzuiopasdfghjklyxcvbnm", "1234567890-=", "!@#$%^&*()_+",
        ]
        return rows + rows.map { String($0.reversed()) }
    }()

    /// Passwords of 12 characters or more found at the top of published lists of leaked passwords (lower case,
    /// spaces removed), and their letters-only forms.
    static let commonPasswords: Set<String> = [
        "passwordpassword", "password1234", "password12345", "password123456", "passw0rd1234", "iloveyou1234",
        "qwerty123456", "qwertyuiop123", "1q2w3e4r5t6y", "1qaz2wsx3edc", "123456789abc", "abc123456789",
        "welcome12345", "welcome123456", "letmein12345", "changeme1234", "administrator", "administrator1",
        "adminadmin123", "superman1234", "football1234", "baseball1234", "trustno11234", "sunshine1234",
        "princess1234", "starwars1234", "dragon123456", "monkey123456", "whatever1234", "michael12345",
        "correcthorsebatterystaple", "thequickbrownfox", "thequickbrownfoxjumpsoverthelazydog", "greencustoms",
        "greencustoms123", "greencustoms2026", "customscustoms", "motdepasse123", "contraseña1234", "contrasena1234",
        "passwordpassword1", "passwordpass", "mypassword123", "mypassword1234", "secretpassword", "password", "qwerty",
        "iloveyou", "welcome", "letmein", "changeme", "sunshine", "princess", "football", "baseball", "superman",
        "monkey", "dragon", "michael", "whatever", "trustno", "admin", "adminadmin", "motdepasse", "contraseña",
        "contrasena", "mypassword", "passwordpassword", "welcomewelcome",
    ]
}

/// An API token as listed: never the token itself, which is shown once and stored only as a hash.
public struct APITokenInfo: Sendable, Equatable, Codable, Identifiable {
    public var id: UUID
    public var owner: String
    public var label: String
    /// The first characters of the token, so that its owner can tell tokens apart.
    public var prefix: String
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?

    public init(
        id: UUID, owner: String, label: String, prefix: String, createdAt: Date, lastUsedAt: Date?, revokedAt: Date?
    ) {
        self.id = id
        self.owner = owner
        self.label = label
        self.prefix = prefix
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }
}

/// One entry of the audit log: who did what, when, from where.
public struct AuditEvent: Sendable, Equatable, Codable {
    /// What happened. New actions are added at the end; stored as the raw value.
    public enum Action: String, Codable, Sendable, CaseIterable {
        case signIn = "sign_in"
        case signInFailed = "sign_in_failed"
        case signOut = "sign_out"
        case screening
        case screeningDeleted = "screening_deleted"
        case resultsDownloaded = "results_downloaded"
        case referenceImport = "reference_import"
        case userCreated = "user_created"
        case userChanged = "user_changed"
        case tokenCreated = "token_created"
        case tokenRevoked = "token_revoked"
        case accessDenied = "access_denied"
        /// A form posted without the right CSRF token.
        case csrfRefused = "csrf_refused"
        /// An API request with a token that is unknown, revoked or of a disabled account.
        case tokenRefused = "token_refused"
        /// A screening job asked for that does not exist or is another account's.
        case jobProbe = "job_probe"
        /// A request body over the route's limit (413).
        case bodyTooLarge = "body_too_large"
        /// Housekeeping (expired sessions, abandoned and old jobs) could not run.
        case housekeepingFailed = "housekeeping_failed"
        /// An account's password was changed (by an administrator or on the command line).
        case passwordChanged = "password_changed"
        /// A backup of the database was written.
        case backup
        /// The database was replaced by a backup.
        case restore
    }

    public var at: Date
    /// The account name, `-` for an anonymous request, `cli:<system user>` for the command line, or `system` for the
    /// server's own housekeeping.
    public var actor: String
    public var action: Action
    /// What it was done to (an account name, a file name, a token prefix), or empty.
    public var target: String
    /// A short description (line counts, the role given…), never a secret.
    public var detail: String
    /// The client's address, or empty for the command line.
    public var address: String

    public init(at: Date, actor: String, action: Action, target: String = "", detail: String = "", address: String = "")
    {
        self.at = at
        self.actor = actor
        self.action = action
        self.target = target
        self.detail = detail
        self.address = address
    }
}
