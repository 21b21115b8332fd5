import FlotillaAPI
@testable import FlotillaControllers
import Testing

/// What a member worker's pass visits: everything after a full hand-over, a relist or a new connection; otherwise
/// only the Works the controller changed, the Works whose member objects moved, and the visits that failed.
@Suite struct MemberAgendaTests {
    static func work(_ name: String, generation: Int64 = 1) -> Work {
        var work = Work(metadata: ObjectMeta(name: name, namespace: "karmada-es-edge-1"), spec: WorkSpec(manifests: []))
        work.metadata.generation = generation
        return work
    }

    /// A pass as `name:report,recheck` strings (`r` for report, `c` for recheck), in visiting order.
    static func describe(_ visits: [MemberAgenda.Visit]) -> [String] {
        visits.map { "\($0.work.metadata.name ?? ""):\($0.report ? "r" : "")\($0.recheck ? "c" : "")" }
    }

    /// A fresh agenda with `a`, `b`, `c` handed over and its first pass (everything) taken.
    static func settled() -> MemberAgenda {
        var agenda = MemberAgenda()
        agenda.replaceAll([work("c"), work("a"), work("b")])
        _ = agenda.takePass()
        return agenda
    }

    @Test func aFullHandOverVisitsAndReportsEveryWorkInNameOrder() {
        var agenda = MemberAgenda()
        #expect(!agenda.isEmpty)  // a new worker's first pass looks at everything
        agenda.replaceAll([Self.work("c"), Self.work("a"), Self.work("b")])
        #expect(Self.describe(agenda.takePass()) == ["a:r", "b:r", "c:r"])
        #expect(agenda.isEmpty)
        #expect(agenda.takePass().isEmpty)
    }

    struct Case: CustomTestStringConvertible {
        let name: String
        let step: @Sendable (inout MemberAgenda) -> Void
        let pass: [String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "nothing happened: nothing visited", step: { _ in }, pass: []),
        Case(name: "a changed Work: it alone, reported", step: { $0.update(changed: [work("b", generation: 2)], removed: []) }, pass: ["b:r"]),
        Case(name: "a new Work: it alone", step: { $0.update(changed: [work("d")], removed: []) }, pass: ["d:r"]),
        Case(name: "a member status event: its Work reported", step: { $0.memberChanged(work: "c", specMoved: false) }, pass: ["c:r"]),
        Case(name: "a member spec moved: its Work reported and compared again", step: { $0.memberChanged(work: "a", specMoved: true) },
             pass: ["a:rc"]),
        Case(name: "a member object of an unknown Work: nothing", step: { $0.memberChanged(work: "zz", specMoved: true) }, pass: []),
        Case(name: "a relist: everything, reported", step: { $0.visitEverything() }, pass: ["a:r", "b:r", "c:r"]),
        Case(name: "a relist after a spec move: everything, that one compared again",
             step: { $0.memberChanged(work: "b", specMoved: true); $0.visitEverything() }, pass: ["a:r", "b:rc", "c:r"]),
        Case(name: "a failed apply: visited again, compared again as before, not reported",
             step: { $0.retry("a", report: false, recheck: true) }, pass: ["a:c"]),
        Case(name: "a failed report: visited again and reported", step: { $0.retry("b", report: true, recheck: false) }, pass: ["b:r"]),
        Case(name: "a retry of a Work gone meanwhile: nothing", step: { $0.update(changed: [], removed: ["a"]); $0.retry("a", report: true, recheck: true) },
             pass: []),
        Case(name: "a removed Work's pending events are dropped",
             step: { $0.memberChanged(work: "a", specMoved: true); $0.update(changed: [], removed: ["a"]) }, pass: []),
    ]

    @Test(arguments: cases) func aSettledAgendaVisitsOnlyWhatMoved(_ test: Case) {
        var agenda = Self.settled()
        test.step(&agenda)
        #expect(Self.describe(agenda.takePass()) == test.pass)
        #expect(agenda.takePass().isEmpty, "what a pass visited is not visited again")
    }

    @Test func theVisitCarriesTheNewestVersionHandedOver() {
        var agenda = Self.settled()
        agenda.update(changed: [Self.work("b", generation: 2)], removed: [])
        agenda.update(changed: [Self.work("b", generation: 3)], removed: [])
        #expect(agenda.takePass().map(\.work.metadata.generation) == [3])
    }

    @Test func removalsAndReplacementsNameTheWorksThatLeft() {
        var agenda = Self.settled()
        #expect(agenda.update(changed: [], removed: ["b", "nope"]) == ["b"])
        #expect(agenda.replaceAll([Self.work("a"), Self.work("d")]) == ["c"])
        #expect(agenda.works.keys.sorted() == ["a", "d"])
        #expect(Self.describe(agenda.takePass()) == ["a:r", "d:r"])
    }
}
