import FluentKit
import Foundation
import GreenCustomsCore
import SQLKit

/// 006: account names compared by their key (`UserAccount.key(forName:)`), unique, so that `admin1`, `ADMIN1` and
/// `admin.1` cannot be three accounts; browser sessions tied to their account, so that a new password, a new role
/// or a disabled account ends them.
struct HardenAccounts: AsyncMigration {
    var name: String { "006_HardenAccounts" }

    func prepare(on database: any Database) async throws {
        try await database.schema(UserModel.schema).field("name_key", .string).update()
        try await database.schema(WebSessionModel.schema).field("user_id", .uuid).update()
        // Accounts made before this migration get their key; where two already share one, the later keeps a key
        // of its own (its name and id), so that both still sign in and no new look-alike can be made.
        var seen = Set<String>()
        for user in try await UserModel.query(on: database).sort(\.$createdAt).all() {
            var key = UserAccount.key(forName: user.name)
            if !seen.insert(key).inserted { key = "\(key)#\(user.id?.uuidString ?? UUID().uuidString)" }
            user.nameKey = key
            try await user.update(on: database)
        }
        // Sessions from before cannot be tied to an account: they end (everyone signs in once more).
        try await WebSessionModel.query(on: database).delete()
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.create(index: "users_name_key").on(UserModel.schema).column("name_key").unique().run()
        try await sql.create(index: "web_sessions_user").on(WebSessionModel.schema).column("user_id").run()
    }

    func revert(on database: any Database) async throws {
        if let sql = database as? any SQLDatabase {
            try await sql.drop(index: "web_sessions_user").run()
            try await sql.drop(index: "users_name_key").run()
        }
        try await database.schema(WebSessionModel.schema).deleteField("user_id").update()
        try await database.schema(UserModel.schema).deleteField("name_key").update()
    }
}
