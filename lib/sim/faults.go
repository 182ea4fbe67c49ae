package sim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Faults are the failure modes the simulator can act out for other tests
// (--faults / $IMSG_SIM_FAULTS, a comma list).
type Faults struct {
	CrashAfter  int           // crash-after=N: exit 137 right after the Nth notification
	SendDelay   time.Duration // send-delay=DUR: answer each send this much later
	SendFail    int           // send-fail=N: fail the first N sends; -1 (always) fails all
	SendHang    bool          // send-hang: never answer send
	FDA         bool          // fda: no Full Disk Access; every request fails, exit 1 at EOF
	FDABanner   bool          // fda-banner: older imsg, print the banner as text and exit 1
	NoRPC       bool          // no-rpc: a build without rpc, "Unknown command" and exit 1
	GhostRow    bool          // ghost-row: macOS 26 chat sends write an unjoined empty row
	EarlyNotify bool          // early-notify: replayed rows before the subscribe response
	SendNoID    bool          // send-no-id: send answers {"ok":true} only
}

// FaultNames lists the switches, for help and errors.
const FaultNames = "crash-after=N, send-delay=DUR, send-fail=always|N, send-hang, fda, fda-banner, no-rpc, ghost-row, early-notify, send-no-id"

// ParseFaults reads a comma list of fault switches.
func ParseFaults(list string) (Faults, error) {
	var f Faults
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, val, hasVal := strings.Cut(item, "=")
		bad := func() (Faults, error) {
			return Faults{}, fmt.Errorf("bad fault %q (known: %s)", item, FaultNames)
		}
		switch name {
		case "crash-after":
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 {
				return bad()
			}
			f.CrashAfter = n
		case "send-delay":
			d, err := time.ParseDuration(val)
			if err != nil || d < 0 {
				return bad()
			}
			f.SendDelay = d
		case "send-fail":
			if val == "always" || !hasVal {
				f.SendFail = -1
				continue
			}
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 {
				return bad()
			}
			f.SendFail = n
		default:
			flags := map[string]*bool{
				"send-hang": &f.SendHang, "fda": &f.FDA, "fda-banner": &f.FDABanner, "no-rpc": &f.NoRPC,
				"ghost-row": &f.GhostRow, "early-notify": &f.EarlyNotify, "send-no-id": &f.SendNoID,
			}
			p, ok := flags[name]
			if !ok || hasVal {
				return bad()
			}
			*p = true
		}
	}
	return f, nil
}
