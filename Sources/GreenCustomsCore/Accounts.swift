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

    /// Why `name` cannot be an account name, or nil when it can.
    public static func problem(withName name: String) -> String? {
        guard (3...64).contains(name.count) else { return "an account name has 3 to 64 characters" }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@")
        guard name.allSatisfy(allowed.contains) else {
            return "an account name has only letters a–z, digits and . _ - @"
        }
        return nil
    }
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
    }

    public var at: Date
    /// The account name, or `-` for an anonymous request, or `cli` for the command line.
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
