import ArgumentParser
import Foundation
import GreenCustomsCore
import ReferenceLibrary
import Storage
import WebApp

struct User: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create and manage accounts.",
        subcommands: [Create.self, List.self, SetRole.self, SetPassword.self, Disable.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an account.",
            discussion: """
                Roles: \(Role.allCases.map(\.rawValue).joined(separator: ", ")).
                Example: echo "$PASSWORD" | greencustoms user create amina --role officer --password-stdin
                """)

        @Argument(help: "The account name (letters, digits, . _ - @).")
        var name: String

        @Option(name: .long, help: "The account's role.")
        var role: Role

        @OptionGroup var password: PasswordInput

        @OptionGroup var databaseOptions: DatabaseOptions

        func validate() throws {
            if let problem = UserAccount.problem(withName: name) { throw ValidationError(problem) }
        }

        func run() async throws {
            let hash = try password.hash(for: name)
            try await withStorage(databaseOptions) { storage in
                let account = try await AccountStore(storage: storage).createUser(
                    name: name, role: role, passwordHash: hash)
                try await AuditLog(storage: storage).record(
                    AuditEvent(
                        at: Date(), actor: cliActor, action: .userCreated, target: name, detail: "role \(role.rawValue)"))
                print("Created \(account.name) (\(account.role.rawValue)).")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List accounts.")
        @OptionGroup var databaseOptions: DatabaseOptions

        func run() async throws {
            try await withStorage(databaseOptions) { storage in
                for account in try await AccountStore(storage: storage).users() {
                    print("\(account.name)\t\(account.role.rawValue)\(account.disabled ? "\tdisabled" : "")")
                }
            }
        }
    }

    struct SetRole: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-role", abstract: "Change an account's role.")
        @Argument var name: String
        @Option(name: .long) var role: Role
        @OptionGroup var databaseOptions: DatabaseOptions

        func run() async throws {
            try await withStorage(databaseOptions) { storage in
                try await AccountStore(storage: storage).updateUser(named: name, role: role)
                try await AuditLog(storage: storage).record(
                    AuditEvent(
                        at: Date(), actor: cliActor, action: .userChanged, target: name, detail: "role \(role.rawValue)"))
                print("\(name) is now \(role.rawValue).")
            }
        }
    }

    struct SetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-password",
            abstract: "Give an account a new password (read from standard input); its browser sessions end.")
        @Argument var name: String
        @OptionGroup var password: PasswordInput
        @OptionGroup var databaseOptions: DatabaseOptions

        func run() async throws {
            let hash = try password.hash(for: name)
            try await withStorage(databaseOptions) { storage in
                try await AccountStore(storage: storage).updateUser(named: name, passwordHash: hash)
                try await AuditLog(storage: storage).record(
                    AuditEvent(
                        at: Date(), actor: cliActor, action: .passwordChanged, target: name,
                        detail: "new password; its sessions ended"))
                print("\(name) has a new password; its sessions have ended.")
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable (or with --enable, enable again) an account; its sessions and tokens stop working.")
        @Argument var name: String
        @Flag(name: .long) var enable = false
        @OptionGroup var databaseOptions: DatabaseOptions

        func run() async throws {
            try await withStorage(databaseOptions) { storage in
                try await AccountStore(storage: storage).updateUser(named: name, disabled: !enable)
                try await AuditLog(storage: storage).record(
                    AuditEvent(
                        at: Date(), actor: cliActor, action: .userChanged, target: name,
                        detail: enable ? "enabled" : "disabled"))
                print("\(name) is \(enable ? "enabled" : "disabled").")
            }
        }
    }
}

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list and revoke API tokens.", subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an API token for an account; the token is printed once, on the last line.")
        @Argument(help: "The account the token acts for.")
        var name: String
        @Option(name: .long, help: "What the token is for (shown in lists).")
        var label = "api"
        @OptionGroup var databaseOptions: DatabaseOptions

        func run() async throws {
            let token = Secrets.newToken()
            try await withStorage(databaseOptions) { storage in
                let info = try await AccountStore(storage: storage).createToken(
                    owner: name, label: label, prefix: Secrets.displayPrefix(token), tokenHash: Secrets.digest(token))
                try await AuditLog(storage: storage).record(
                    AuditEvent(
                        at: Date(), actor: cliActor, action: .tokenCreated, target: info.prefix, detail: "for \(name)"))
                FileHandle.standardError.write(
                    Data("Token \(info.id) for \(name) (\(label)). It is shown only now; store it safely:\n".utf8))
                print(token)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List API tokens (never the tokens themselves).")
        @Argument(help: "Only this account's tokens.")
        var name: String?
        @OptionGroup var databaseOptions: DatabaseOptions

        func run() async throws {
            let format = ISO8601DateFormatter()
            try await withStorage(databaseOptions) { storage in
                for t in try await AccountStore(storage: storage).tokens(owner: name) {
                    let state = t.revokedAt.map { "revoked \(format.string(from: $0))" } ?? "active"
                    let used = t.lastUsedAt.map { format.string(from: $0) } ?? "never used"
                    print("\(t.id)\t\(t.prefix)…\t\(t.owner)\t\(t.label)\t\(state)\t\(used)")
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an API token by its id or its prefix.")
        @Argument var token: String
        @OptionGroup var databaseOptions: DatabaseOptions

        func run() async throws {
            try await withStorage(databaseOptions) { storage in
                let info = try await AccountStore(storage: storage).revokeToken(token)
                try await AuditLog(storage: storage).record(
                    AuditEvent(
                        at: Date(), actor: cliActor, action: .tokenRevoked, target: info.prefix, detail: "of \(info.owner)"
                    ))
                print("Revoked \(info.prefix)… of \(info.owner).")
            }
        }
    }
}

extension Role: ExpressibleByArgument {}

/// `--password-stdin`: a password is read from standard input, never given as an argument (where `ps` and the shell's
/// history would show it).
struct PasswordInput: ParsableArguments {
    @Flag(name: .long, help: "Read the password from the first line of standard input.")
    var passwordStdin = false

    func validate() throws {
        guard passwordStdin else {
            throw ValidationError("give the password on standard input with --password-stdin (never as an argument)")
        }
    }

    /// The first line of standard input, checked against the password policy for the account `name`, as a Bcrypt
    /// hash.
    func hash(for name: String) throws -> String {
        guard let password = readLine(strippingNewline: true), !password.isEmpty else {
            throw ValidationError("no password on standard input")
        }
        if let problem = Secrets.passwordProblem(password, name: name) { throw ValidationError(problem) }
        return try Secrets.hashPassword(password)
    }
}

/// Who acts from the command line, for the audit log: `cli:` and the system user running it (`cli:root`,
/// `cli:amina`), so that an action taken on the server's shell is traced to a person, not to "the command line".
var cliActor: String {
    if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name {
        return "cli:" + String(cString: name)
    }
    return "cli:" + (ProcessInfo.processInfo.environment["USER"] ?? "uid \(geteuid())")
}

/// Opens the database (migrating it) for an account command and always closes it; account errors exit with 1 and
/// a plain message.
func withStorage(_ options: DatabaseOptions, _ body: (StorageDatabase) async throws -> Void) async throws {
    let location = try DatabaseLocation.resolve(
        option: options.database, environment: ProcessInfo.processInfo.environment)
    let storage = try await StorageDatabase.open(location)
    do {
        try await body(storage)
        await storage.shutdown()
    } catch let error as AccountError {
        await storage.shutdown()
        printError("error: \(error.description)")
        throw ExitCode(1)
    } catch {
        await storage.shutdown()
        throw error
    }
}
