import CSQLite
import WliveStore

/// One SQLite connection, used from one thread at a time. Every call checks its result code
/// and throws a `StoreError` that names the file and SQLite's own message.
final class SQLiteDatabase {
    let path: String
    private let handle: OpaquePointer

    init(path: String) throws(StoreError) {
        self.path = path
        var opened: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &opened, flags, nil)
        guard code == SQLITE_OK, let opened else {
            let message = opened.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_close(opened)
            throw StoreError("cannot open the store \(path): \(message)")
        }
        handle = opened
        sqlite3_extended_result_codes(handle, 1)
    }

    deinit { sqlite3_close_v2(handle) }

    /// Runs SQL that returns no rows (several statements may be given).
    func execute(_ sql: String) throws(StoreError) {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        defer { sqlite3_free(message) }
        guard code == SQLITE_OK else {
            throw failure(code, message.map { String(cString: $0) } ?? "")
        }
    }

    func prepare(_ sql: String) throws(StoreError) -> SQLiteStatement {
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else { throw failure(code) }
        return SQLiteStatement(statement, database: self)
    }

    /// The single integer a query such as `PRAGMA user_version` returns.
    func integer(_ sql: String) throws(StoreError) -> Int64 {
        let statement = try prepare(sql)
        guard try statement.step() else { throw StoreError("\(sql) returned no row from \(path)") }
        defer { statement.reset() }
        return statement.int64(0)
    }

    /// Copies the write-ahead log into the database file as far as it can without waiting
    /// (a passive checkpoint). Returns the log's size in pages; nil when it failed.
    @discardableResult
    func checkpoint() -> Int32? {
        var logPages: Int32 = 0
        var copied: Int32 = 0
        guard sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_PASSIVE, &logPages, &copied) == SQLITE_OK else {
            return nil
        }
        return logPages
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func transaction<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    func failure(_ code: Int32, _ detail: String = "") -> StoreError {
        let message = detail.isEmpty ? String(cString: sqlite3_errmsg(handle)) : detail
        return StoreError("store \(path): \(message) (SQLite code \(code))")
    }
}

/// A prepared statement, reset and rebound for each use.
final class SQLiteStatement {
    private let statement: OpaquePointer
    private unowned let database: SQLiteDatabase

    init(_ statement: OpaquePointer, database: SQLiteDatabase) {
        self.statement = statement
        self.database = database
    }

    deinit { sqlite3_finalize(statement) }

    /// Binds values to the parameters `?1`, `?2`, ... in order, after a reset.
    func bind(_ values: SQLiteValue...) throws(StoreError) { try bind(values) }

    func bind(_ values: [SQLiteValue]) throws(StoreError) {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .integer(let number): code = sqlite3_bind_int64(statement, index, number)
            case .text(let text): code = sqlite3_bind_text(statement, index, text, -1, SQLiteStatement.transient)
            }
            guard code == SQLITE_OK else { throw database.failure(code) }
        }
    }

    /// Steps once: true with a row to read, false when done.
    func step() throws(StoreError) -> Bool {
        switch sqlite3_step(statement) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let code: throw database.failure(code)
        }
    }

    /// Steps a statement that returns no row.
    func run(_ values: SQLiteValue...) throws(StoreError) {
        try bind(values)
        while try step() {}
    }

    /// Ends a read early, so the statement holds no read transaction open.
    func reset() { sqlite3_reset(statement) }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(statement, column) == SQLITE_NULL }

    func text(_ column: Int32) -> String {
        guard let bytes = sqlite3_column_text(statement, column) else { return "" }
        return String(cString: bytes)
    }

    /// SQLite copies the bound text before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}

enum SQLiteValue {
    case integer(Int64)
    case text(String)

    static func unsigned(_ value: UInt64) -> Self { .integer(Int64(bitPattern: value)) }
}
