import Testing
import HummingbirdTesting
import AsyncHTTPClient
@Test func placeholder() {}
