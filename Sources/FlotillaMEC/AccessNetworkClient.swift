import FlotillaAPI
import Foundation

/// A UE's predicted round trip to each edge site, as the access network sees it now.
public struct UESiteRTT: Sendable {
    public var ue: String
    /// Cluster name → predicted RTT (ms).
    public var rttMs: [String: Double]
    public var servingCell: String?
    /// The access area (MEC 013 zone) of the serving cell: the unit of AppProfile demand.
    public var zone: String?
    /// Why there is no serving cell (InHandover, NoCoverage).
    public var reason: String?
    /// Where the UE is and how it moves, when the network says.
    public var motion: UEMotion?

    public init(ue: String, rttMs: [String: Double], servingCell: String? = nil, reason: String? = nil) {
        self.ue = ue
        self.rttMs = rttMs
        self.servingCell = servingCell
        self.reason = reason
    }
}

/// Where discovery and mobility learn a UE's RTT to each site. The access network simulator's HTTP API is one; the
/// demo and the benchmarks use the simulator in process.
public protocol SiteRTTSource: Sendable {
    func rtt(ue: String) async throws(MECError) -> UESiteRTT
    /// For a UE the network does not know: the RTTs from the best cell at a place, or of a named cell.
    func rtt(at location: DiscoveryLocation) async throws(MECError) -> UESiteRTT
}

/// A place given instead of a UE address.
public enum DiscoveryLocation: Sendable {
    case coordinates(latitude: Double, longitude: Double)
    case cell(String)
}

/// The access network's Flotilla extension API (`/flotilla/v1/ues/{address}/rtt`, `/flotilla/v1/rtt`), plus the MEC
/// 013 subscription calls the mobility service needs.
public struct AccessNetworkClient: SiteRTTSource {
    public let baseURL: String
    let transport: HTTPTransport

    public init(baseURL: String, transport: HTTPTransport) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.transport = transport
    }

    public func rtt(ue: String) async throws(MECError) -> UESiteRTT {
        let address = ue.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? ue
        return try await fetch("\(baseURL)/flotilla/v1/ues/\(address)/rtt", ue: ue)
    }

    public func rtt(at location: DiscoveryLocation) async throws(MECError) -> UESiteRTT {
        switch location {
        case .coordinates(let latitude, let longitude):
            return try await fetch("\(baseURL)/flotilla/v1/rtt?latitude=\(latitude)&longitude=\(longitude)", ue: "")
        case .cell(let name):
            return try await fetch("\(baseURL)/flotilla/v1/rtt?cell=\(name.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? name)", ue: "")
        }
    }

    /// A JSON document of the extension API, e.g. `/flotilla/v1/topology` or `/flotilla/v1/ues?rtt=true`.
    public func document(_ path: String) async throws(MECError) -> JSONValue {
        let reply = try await transport.send(.GET, baseURL + path)
        guard reply.status == 200 else { throw MECError(.unavailable, "the access network answered \(reply.status) for \(path)") }
        do {
            return try JSONValue.parse(Array(reply.body))
        } catch {
            throw MECError(.unavailable, "the access network's \(path) is not JSON: \(error)")
        }
    }

    func fetch(_ url: String, ue: String) async throws(MECError) -> UESiteRTT {
        let reply = try await transport.send(.GET, url)
        let body = try? JSONValue.parse(Array(reply.body))
        switch reply.status {
        case 200: break
        case 404: throw MECError(.notFound, body?["detail"]?.stringValue ?? "the access network does not know \(ue.isEmpty ? "that place" : ue)")
        case 400: throw MECError(.badRequest, body?["detail"]?.stringValue ?? "the access network refused the query")
        default: throw MECError(.unavailable, "the access network answered \(reply.status)")
        }
        var rtt: [String: Double] = [:]
        for site in body?["sites"]?.arrayValue ?? [] {
            guard let cluster = site["cluster"]?.stringValue, let ms = site["rttMs"]?.doubleValue else { continue }
            rtt[cluster] = min(rtt[cluster] ?? .infinity, ms)
        }
        var result = UESiteRTT(ue: ue, rttMs: rtt, servingCell: (body?["servingCell"] ?? body?["cell"])?.stringValue,
                               reason: body?["reason"]?.stringValue)
        result.zone = body?["zoneId"]?.stringValue
        result.motion = UEMotion(locationInfo: body?["location"])
        return result
    }
}
