package condition

func utilityBuiltins() map[string]Factory { return map[string]Factory{} }
