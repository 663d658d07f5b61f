package condition

func metaBuiltins() map[string]Factory { return map[string]Factory{} }
