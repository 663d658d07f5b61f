package transform

func metaBuiltins() map[string]Factory { return map[string]Factory{} }
