import Foundation
import GreenCustomsCore
import Storage
import Vapor

/// `/admin/users`: administrators create accounts, change roles, disable and enable accounts, set new passwords, and
/// make and revoke API tokens, as the `user` and `token` commands do. Every change is in the audit log. An
/// administrator cannot disable their own account or take away their own administrator role (nobody would be left
/// to undo it).
struct AccountsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let users = routes.grouped("admin", "users")
        users.get(use: list)
        users.post(use: create)
        let user = users.grouped(":name")
        user.get(use: show)
        user.post("role", use: setRole)
        user.post("disabled", use: setDisabled)
        user.post("password", use: setPassword)
        user.post("tokens", use: createToken)
        user.post("tokens", ":token", "revoke", use: revokeToken)
    }

    struct UserRow: Encodable {
        var name: String
        var path: String
        var role: String
        var disabled: Bool
        var created: String
    }

    struct RoleOption: Encodable {
        var value: String
        var name: String
        var selected: Bool
    }

    struct ListContext: Encodable {
        var users: [UserRow]
        var roles: [RoleOption]
        var message: String?
        var error: String?
        var name: String
    }

    static func roles(_ request: Request, selected: Role?) -> [RoleOption] {
        Role.allCases.map {
            RoleOption(value: $0.rawValue, name: request.t("role_" + $0.rawValue), selected: $0 == selected)
        }
    }

    static func path(_ name: String) -> String {
        "/admin/users/"
            + (name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? name)
    }

    @Sendable func list(request: Request) async throws -> Response {
        if let redirect = try PageController.requireSignedIn(request, .manageAccounts) { return redirect }
        return try await listPage(request, message: nil, error: nil, name: "", status: .ok)
    }

    func listPage(_ request: Request, message: String?, error: String?, name: String, status: HTTPStatus) async throws
        -> Response
    {
        let users = try await request.services.accounts.users()
        return try await request.page(
            "users", title: request.t("users_title"),
            ListContext(
                users: users.map {
                    UserRow(
                        name: $0.name, path: Self.path($0.name), role: request.t("role_" + $0.role.rawValue),
                        disabled: $0.disabled, created: request.dateTime($0.createdAt))
                }, roles: Self.roles(request, selected: .officer), message: message, error: error, name: name)
        ).encodeResponse(status: status, for: request)
    }

    @Sendable func create(request: Request) async throws -> Response {
        if let redirect = try PageController.requireSignedIn(request, .manageAccounts) { return redirect }
        let admin = try request.require(.manageAccounts)
        struct Form: Decodable {
            var name: String
            var role: String
            var password: String
        }
        let form = try request.content.decode(Form.self)
        let name = form.name.trimmingCharacters(in: .whitespaces)
        guard let role = Role(rawValue: form.role) else { throw Abort(.badRequest, reason: "unknown role") }
        if let problem = Secrets.passwordProblem(form.password, name: name) {
            return try await listPage(request, message: nil, error: problem, name: name, status: .unprocessableEntity)
        }
        let hash = try await request.application.threadPool.runIfActive { try Secrets.hashPassword(form.password) }
        do {
            _ = try await request.services.accounts.createUser(name: name, role: role, passwordHash: hash)
        } catch let error as AccountError {
            return try await listPage(
                request, message: nil, error: error.description, name: name, status: .unprocessableEntity)
        }
        request.services.record(
            AuditEvent(
                at: Date(), actor: admin.name, action: .userCreated, target: name, detail: "role \(role.rawValue)",
                address: request.clientAddress),
            logger: request.logger)
        return request.redirect(to: Self.path(name), redirectType: .normal)
    }

    struct TokenRow: Encodable {
        var id: String
        var label: String
        var prefix: String
        var created: String
        var lastUsed: String
        var revoked: String?
    }

    struct UserContext: Encodable {
        var user: UserRow
        var path: String
        var roles: [RoleOption]
        var isSelf: Bool
        var tokens: [TokenRow]
        var newToken: String?
        var message: String?
        var error: String?
    }

    static func account(_ request: Request) async throws -> UserAccount {
        guard let name = request.parameters.get("name"),
            let account = try await request.services.accounts.user(named: name)
        else { throw Abort(.notFound) }
        return account
    }

    @Sendable func show(request: Request) async throws -> Response {
        if let redirect = try PageController.requireSignedIn(request, .manageAccounts) { return redirect }
        let admin = try request.require(.manageAccounts)
        return try await userPage(request, try await Self.account(request), admin: admin)
    }

    func userPage(
        _ request: Request, _ account: UserAccount, admin: UserAccount, newToken: String? = nil, message: String? = nil,
        error: String? = nil, status: HTTPStatus = .ok
    ) async throws -> Response {
        let tokens = try await request.services.accounts.tokens(owner: account.name)
        return try await request.page(
            "user", title: account.name,
            UserContext(
                user: UserRow(
                    name: account.name, path: Self.path(account.name), role: request.t("role_" + account.role.rawValue),
                    disabled: account.disabled, created: request.dateTime(account.createdAt)),
                path: Self.path(account.name), roles: Self.roles(request, selected: account.role),
                isSelf: account.id == admin.id,
                tokens: tokens.map {
                    TokenRow(
                        id: $0.id.uuidString.lowercased(), label: $0.label, prefix: $0.prefix,
                        created: request.dateTime($0.createdAt),
                        lastUsed: $0.lastUsedAt.map { request.dateTime($0) } ?? "–",
                        revoked: $0.revokedAt.map { request.dateTime($0) })
                }, newToken: newToken, message: message, error: error)
        ).encodeResponse(status: status, for: request)
    }

    func changed(
        _ request: Request, admin: UserAccount, _ account: UserAccount, _ detail: String,
        action: AuditEvent.Action = .userChanged
    ) async {
        request.services.forgetTokens()
        request.services.record(
            AuditEvent(
                at: Date(), actor: admin.name, action: action, target: account.name, detail: detail,
                address: request.clientAddress),
            logger: request.logger)
    }

    @Sendable func setRole(request: Request) async throws -> Response {
        if let redirect = try PageController.requireSignedIn(request, .manageAccounts) { return redirect }
        let admin = try request.require(.manageAccounts)
        let account = try await Self.account(request)
        struct Form: Decodable { var role: String }
        guard let role = Role(rawValue: try request.content.decode(Form.self).role) else {
            throw Abort(.badRequest, reason: "unknown role")
        }
        if account.id == admin.id && role != .admin {
            return try await userPage(
                request, account, admin: admin, error: request.t("users_not_self"), status: .conflict)
        }
        let updated = try await request.services.accounts.updateUser(named: account.name, role: role)
        await changed(request, admin: admin, account, "role \(role.rawValue)")
        return try await userPage(request, updated, admin: admin, message: request.t("users_saved"))
    }

    @Sendable func setDisabled(request: Request) async throws -> Response {
        if let redirect = try PageController.requireSignedIn(request, .manageAccounts) { return redirect }
        let admin = try request.require(.manageAccounts)
        let account = try await Self.account(request)
        struct Form: Decodable { var disabled: String }
        let disabled = try request.content.decode(Form.self).disabled == "true"
        if account.id == admin.id && disabled {
            return try await userPage(
                request, account, admin: admin, error: request.t("users_not_self"), status: .conflict)
        }
        let updated = try await request.services.accounts.updateUser(named: account.name, disabled: disabled)
        await changed(request, admin: admin, account, disabled ? "disabled" : "enabled")
        return try await userPage(request, updated, admin: admin, message: request.t("users_saved"))
    }

    @Sendable func setPassword(request: Request) async throws -> Response {
        if let redirect = try PageController.requireSignedIn(request, .manageAccounts) { return redirect }
        let admin = try request.require(.manageAccounts)
        let account = try await Self.account(request)
        struct Form: Decodable { var password: String }
        let password = try request.content.decode(Form.self).password
        if let problem = Secrets.passwordProblem(password, name: account.name) {
            return try await userPage(request, account, admin: admin, error: problem, status: .unprocessableEntity)
        }
        let hash = try await request.application.threadPool.runIfActive { try Secrets.hashPassword(password) }
        let updated = try await request.services.accounts.updateUser(named: account.name, passwordHash: hash)
        await changed(request, admin: admin, account, "new password; its sessions ended", action: .passwordChanged)
        return try await userPage(request, updated, admin: admin, message: request.t("users_saved"))
    }

    @Sendable func createToken(request: Request) async throws -> Response {
        if let redirect = try PageController.requireSignedIn(request, .manageAccounts) { return redirect }
        let admin = try request.require(.manageAccounts)
        let account = try await Self.account(request)
        struct Form: Decodable { var label: String? }
        let label = String(
            ((try? request.content.decode(Form.self).label) ?? "").trimmingCharacters(in: .whitespaces).prefix(100))
        let token = Secrets.newToken()
        let info = try await request.services.accounts.createToken(
            owner: account.name, label: label.isEmpty ? "api" : label, prefix: Secrets.displayPrefix(token),
            tokenHash: Secrets.digest(token))
        await changed(request, admin: admin, account, "token \(info.prefix) (\(info.label))", action: .tokenCreated)
        let response = try await userPage(request, account, admin: admin, newToken: token)
        response.headers.cacheControl = .init(noStore: true)
        return response
    }

    @Sendable func revokeToken(request: Request) async throws -> Response {
        if let redirect = try PageController.requireSignedIn(request, .manageAccounts) { return redirect }
        let admin = try request.require(.manageAccounts)
        let account = try await Self.account(request)
        guard let id = request.parameters.get("token").flatMap(UUID.init(uuidString:)),
            let token = try await request.services.accounts.tokens(owner: account.name).first(where: { $0.id == id })
        else { throw Abort(.notFound) }
        let revoked = try await request.services.accounts.revokeToken(token.id.uuidString)
        await changed(request, admin: admin, account, "token \(revoked.prefix)", action: .tokenRevoked)
        return try await userPage(request, account, admin: admin, message: request.t("users_saved"))
    }
}
