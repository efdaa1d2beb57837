import Hummingbird; import HummingbirdTesting; public enum Placeholder3 {}
