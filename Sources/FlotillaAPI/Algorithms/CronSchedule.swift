import Foundation

/// A standard five-field cron schedule (minute hour day-of-month month day-of-week), as CronJobs and
/// CronFederatedHPA rules write it: `*`, values, ranges `a-b`, lists `a,b`, steps `*/n` and `a-b/n`, month and
/// weekday names (`JAN`, `MON`), Sunday as 0 or 7, and the macros `@yearly`, `@annually`, `@monthly`, `@weekly`,
/// `@daily`, `@midnight`, `@hourly`. When both day fields are restricted, a day matching either runs (cron's rule).
/// Pure.
public struct CronSchedule: Sendable, Hashable {
    let minutes: Set<Int>
    let hours: Set<Int>
    let days: Set<Int>
    let months: Set<Int>
    let weekdays: Set<Int>
    let daysRestricted: Bool
    let weekdaysRestricted: Bool

    static let macros = ["@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
                         "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"]
    static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

    /// Parses a schedule; the error says which field is wrong and why.
    public init(_ text: String) throws(CronError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let expanded = Self.macros[trimmed.lowercased()] ?? trimmed
        let fields = expanded.split(whereSeparator: \.isWhitespace).map(String.init)
        guard fields.count == 5 else { throw CronError("expected exactly 5 fields, found \(fields.count): \(text)") }
        minutes = try Self.field(fields[0], "minute", 0...59, names: [])
        hours = try Self.field(fields[1], "hour", 0...23, names: [])
        days = try Self.field(fields[2], "day of month", 1...31, names: [])
        months = try Self.field(fields[3], "month", 1...12, names: Self.monthNames, offset: 1)
        weekdays = Set(try Self.field(fields[4], "day of week", 0...7, names: Self.dayNames).map { $0 % 7 })
        daysRestricted = !fields[2].hasPrefix("*")
        weekdaysRestricted = !fields[4].hasPrefix("*")
    }

    static func field(_ text: String, _ name: String, _ range: ClosedRange<Int>, names: [String], offset: Int = 0) throws(CronError) -> Set<Int> {
        var values = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw CronError("\(name): too many slashes in \(part)") }
            var step = 1
            if pieces.count == 2 {
                guard let parsed = Int(pieces[1]), parsed > 0 else { throw CronError("\(name): bad step \(pieces[1])") }
                step = parsed
            }
            let span = String(pieces[0])
            var low = range.lowerBound, high = range.upperBound
            if span != "*" && span != "?" {
                let bounds = span.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
                guard bounds.count <= 2 else { throw CronError("\(name): bad range \(span)") }
                low = try value(bounds[0], name, range, names: names, offset: offset)
                high = bounds.count == 2 ? try value(bounds[1], name, range, names: names, offset: offset) : (pieces.count == 2 ? range.upperBound : low)
                guard low <= high else { throw CronError("\(name): range \(span) runs backwards") }
            }
            values.formUnion(stride(from: low, through: high, by: step))
        }
        return values
    }

    static func value(_ text: String, _ name: String, _ range: ClosedRange<Int>, names: [String], offset: Int) throws(CronError) -> Int {
        if let index = names.firstIndex(of: text.uppercased()) { return index + offset }
        guard let number = Int(text), range.contains(number) else {
            throw CronError("\(name): \(text) is not in \(range.lowerBound)-\(range.upperBound)")
        }
        return number
    }

    /// The first time strictly after `time` the schedule fires, in `zone`; nil if none within five years (31 Feb).
    public func next(after time: Timestamp, in zone: TimeZone = TimeZone(identifier: "UTC")!) -> Timestamp? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        var date = Date(timeIntervalSince1970: TimeInterval((time.seconds / 60 + 1) * 60))
        let limit = date.addingTimeInterval(5 * 366 * 86_400)
        while date < limit {
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: date)
            guard let month = parts.month, let day = parts.day, let hour = parts.hour, let minute = parts.minute,
                  let weekday = parts.weekday else { return nil }
            if !months.contains(month) {
                date = calendar.date(from: DateComponents(year: parts.year, month: month + 1, day: 1)) ?? limit
                continue
            }
            if !dayMatches(day: day, weekday: weekday - 1) {
                date = calendar.date(byAdding: .day, value: 1, to: calendar.startOfDay(for: date)) ?? limit
                continue
            }
            if !hours.contains(hour) {
                date = calendar.date(byAdding: .hour, value: 1, to: date.addingTimeInterval(-TimeInterval(minute * 60))) ?? limit
                continue
            }
            if !minutes.contains(minute) {
                date = date.addingTimeInterval(60)
                continue
            }
            return Timestamp(seconds: Int64(date.timeIntervalSince1970))
        }
        return nil
    }

    /// The latest time the schedule fired in (`after`, `now`], looking back a week at most (a controller that was
    /// down makes up one run, not thousands); nil when none.
    public func latest(after: Timestamp, upTo now: Timestamp, in zone: TimeZone = TimeZone(identifier: "UTC")!) -> Timestamp? {
        var cursor = max(after, Timestamp(seconds: now.seconds - 7 * 86_400))
        var latest: Timestamp?
        while let next = next(after: cursor, in: zone), next.seconds <= now.seconds {
            latest = next
            cursor = next
        }
        return latest
    }

    func dayMatches(day: Int, weekday: Int) -> Bool {
        switch (daysRestricted, weekdaysRestricted) {
        case (true, true): return days.contains(day) || weekdays.contains(weekday)
        case (true, false): return days.contains(day)
        case (false, true): return weekdays.contains(weekday)
        case (false, false): return true
        }
    }
}

public struct CronError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
