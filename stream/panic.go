package stream

import "fmt"

// PanicError is the error of a transformer call that panicked in a stream
// whose Config.RecoverPanics is set. It reaches the error policy inside an
// *Error, like any transformer error.
type PanicError struct {
	// Value is what the transformer panicked with.
	Value any
	// Stack is the panicking goroutine's stack, as runtime/debug.Stack
	// formats it.
	Stack []byte
}

// Error implements error: the panic's value, then its stack.
func (e *PanicError) Error() string {
	return fmt.Sprintf("panic: %v\n\n%s", e.Value, e.Stack)
}

// Unwrap returns the panic's value when it is an error, so that errors.Is
// and errors.As see through the panic.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}
