import AsyncHTTPClient
import Foundation
import NIOCore

/// What a failed HTTP request says about whether the peer saw it.
public enum HTTPDelivery {
    /// Whether `error` says no connection was made, so no byte of the request left: the peer refused it, or the
    /// connect timed out. Any other failure (a timeout waiting for the answer, a reset) leaves open whether the peer
    /// acted on the request.
    public static func neverConnected(_ error: any Error) -> Bool {
        if let error = error as? IOError { return error.errnoCode == ECONNREFUSED }
        if let error = error as? HTTPClientError { return error == .connectTimeout }
        return false
    }
}
