//go:build unix

package lambdatest

import (
	"os/exec"
	"syscall"
)

// ownGroup puts the emulator in a process group of its own, so that
// killGroup also stops the handler process it started.
func ownGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

// killGroup kills the emulator and the handler it started.
func killGroup(cmd *exec.Cmd) {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
