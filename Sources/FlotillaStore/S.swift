import GRDB
public enum S {}
