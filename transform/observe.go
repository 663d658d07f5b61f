package transform

func observeBuiltins() map[string]Factory { return map[string]Factory{} }
