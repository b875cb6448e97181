package tns

import "runtime/debug"

func debugBuildInfo() ([][2]string, bool) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return nil, false
	}
	var out [][2]string
	for _, d := range bi.Deps {
		out = append(out, [2]string{d.Path, d.Version})
	}
	return out, true
}
