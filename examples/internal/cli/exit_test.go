package cli

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestExitRunsWhatIsLeftOnceInReverse(t *testing.T) {
	var ran []string
	e := CatchExit()
	e.Add(func() { ran = append(ran, "first") })
	forget := e.Add(func() { ran = append(ran, "undone already") })
	e.Add(func() { ran = append(ran, "last") })
	forget()
	e.Run()
	assert.Equal(t, []string{"last", "first"}, ran)
}
