package transform

func utilityBuiltins() map[string]Factory { return map[string]Factory{} }
