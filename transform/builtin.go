package transform

// builtinFamilies lists the functions that return each family's built-in
// types. Each family lives in its own file.
func builtinFamilies() []func() map[string]Factory {
	return []func() map[string]Factory{
		objectBuiltins,
		stringBuiltins,
		metaBuiltins,
		utilityBuiltins,
		hashBuiltins,
		networkBuiltins,
		numberBuiltins,
		arrayBuiltins,
		timeBuiltins,
		formatBuiltins,
		aggregateBuiltins,
		sendBuiltins,
		observeBuiltins,
		enrichBuiltins,
	}
}
