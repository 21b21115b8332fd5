import FlotillaAPI
import Foundation
import Testing

/// Cron schedules as CronJobs write them: the next time after a given one, and the errors for what is not a schedule.
@Suite struct CronScheduleTests {
    static func time(_ text: String) -> Timestamp { Timestamp(rfc3339: text)! }

    static let cases: [(String, String, String)] = [
        ("* * * * *", "2026-12-06T10:00:30Z", "2026-12-06T10:01:00Z"),
        ("*/15 * * * *", "2026-12-06T10:01:00Z", "2026-12-06T10:15:00Z"),
        ("0 3 * * *", "2026-12-06T03:00:00Z", "2026-12-07T03:00:00Z"),
        ("30 9 * * MON-FRI", "2026-12-05T10:00:00Z", "2026-12-07T09:30:00Z"),      // Saturday → Monday
        ("0 0 1 JAN *", "2026-12-06T00:00:00Z", "2027-01-01T00:00:00Z"),
        ("0 12 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T12:00:00Z"),          // the next leap day
        ("0 0 13 * 5", "2026-12-06T00:00:00Z", "2026-12-11T00:00:00Z"),           // either day field: Friday the 11th
        ("5,10-12/2 * * * *", "2026-12-06T10:06:00Z", "2026-12-06T10:10:00Z"),
        ("@hourly", "2026-12-06T10:00:00Z", "2026-12-06T11:00:00Z"),
        ("0 0 * * 7", "2026-12-06T00:00:00Z", "2026-12-13T00:00:00Z"),            // 7 is Sunday too
    ]

    @Test(arguments: cases)
    func nextTime(_ schedule: String, after: String, expected: String) throws {
        let parsed = try CronSchedule(schedule)
        #expect(parsed.next(after: Self.time(after)) == Self.time(expected), "\(schedule) after \(after)")
    }

    @Test func aTimeZoneShiftsTheSchedule() throws {
        let schedule = try CronSchedule("0 9 * * *")
        let tokyo = TimeZone(identifier: "Asia/Tokyo")!
        #expect(schedule.next(after: Self.time("2026-12-06T01:00:00Z"), in: tokyo) == Self.time("2026-12-07T00:00:00Z"))
    }

    @Test(arguments: ["", "* * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 8", "*/0 * * * *", "5-1 * * * *", "@often"])
    func notASchedule(_ text: String) {
        #expect(throws: CronError.self) { try CronSchedule(text) }
    }
}
