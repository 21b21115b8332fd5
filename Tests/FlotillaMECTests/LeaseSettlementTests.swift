import FlotillaAppKit
import Testing

/// What a frozen source does with its successor's answer when its lease ends (`LeaseSettlement`): only an answer
/// settles it, or a connection that was never made; a missing answer is asked again, up to the bound.
struct LeaseSettlementTests {
    static let cases: [(LeaseSettlement.Answer, Int, LeaseSettlement.Action)] = [
        (.noSuccessor, 1, .resume),
        (.status(409), 1, .release),
        (.status(409), 4, .release),
        (.status(204), 1, .resume),
        (.status(404), 1, .resume),
        (.neverConnected, 1, .resume),
        (.neverConnected, 3, .resume),
        // The ask may have arrived and the copy there may serve: ask again, not resume.
        (.noAnswer, 1, .askAgain(after: LeaseSettlement.retry)),
        (.noAnswer, LeaseSettlement.maximumAsks - 1, .askAgain(after: LeaseSettlement.retry)),
        (.status(503), 1, .askAgain(after: LeaseSettlement.retry)),
        (.status(500), 2, .askAgain(after: LeaseSettlement.retry)),
        // A successor that takes connections and answers none of the asks counts as gone.
        (.noAnswer, LeaseSettlement.maximumAsks, .resume),
        (.status(503), LeaseSettlement.maximumAsks, .resume),
    ]

    @Test(arguments: cases.indices)
    func anAnswerDecidesAndNoAnswerAsksAgain(_ index: Int) {
        let (answer, asks, action) = Self.cases[index]
        #expect(LeaseSettlement.decide(answer, asks: asks) == action, "\(answer) on ask \(asks)")
    }
}
