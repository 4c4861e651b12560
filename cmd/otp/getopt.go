package main

import (
	"fmt"
	"strings"
)

// An option as GNU getopt_long knows it, for oathtool's command line.
type option struct {
	long  string
	short byte // 0: long only
	arg   int  // noArg, requiredArg or optionalArg
	exact bool // the long name cannot be abbreviated
}

const (
	noArg = iota
	requiredArg
	optionalArg
)

// parsedOption is one option of the command line, in order.
type parsedOption struct {
	opt    *option
	value  string
	hasArg bool // an argument was given (--totp= has an empty one)
}

// getopt splits args as glibc's getopt_long does: options in any order
// among the operands unless POSIXLY_CORRECT is set, clusters of short
// options ("-vd6"), long options abbreviated to any unambiguous prefix,
// "--name=value" or "--name value", and "--" ending the options. It stops
// at the first error, as gengetopt's parser does: what came before it is
// returned with the error, which says what glibc would print.
func getopt(prog string, args []string, opts []option, posixly bool) ([]parsedOption, []string, error) {
	var parsed []parsedOption
	var operands []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return parsed, append(operands, args[i+1:]...), nil
		case len(a) < 2 || a[0] != '-':
			if posixly {
				return parsed, append(operands, args[i:]...), nil
			}
			operands = append(operands, a)
		case strings.HasPrefix(a, "--"):
			p, used, err := longOption(prog, a[2:], args[i+1:], opts)
			if err != nil {
				return parsed, operands, err
			}
			parsed = append(parsed, p)
			i += used
		default:
			ps, used, err := shortOptions(prog, a[1:], args[i+1:], opts)
			parsed = append(parsed, ps...)
			if err != nil {
				return parsed, operands, err
			}
			i += used
		}
	}
	return parsed, operands, nil
}

// longOption reads "--"+spec, taking its argument from rest when needed; it
// returns how many of rest it used.
func longOption(prog, spec string, rest []string, opts []option) (parsedOption, int, error) {
	name, value, hasValue := strings.Cut(spec, "=")
	o, err := lookupLong(prog, name, opts)
	if err != nil {
		return parsedOption{}, 0, err
	}
	switch {
	case o.arg == noArg && hasValue:
		return parsedOption{}, 0, fmt.Errorf("%s: option '--%s' doesn't allow an argument", prog, o.long)
	case o.arg == requiredArg && !hasValue:
		if len(rest) == 0 {
			return parsedOption{}, 0, fmt.Errorf("%s: option '--%s' requires an argument", prog, o.long)
		}
		return parsedOption{o, rest[0], true}, 1, nil
	}
	return parsedOption{o, value, hasValue}, 0, nil
}

// lookupLong finds the option that name is or abbreviates.
func lookupLong(prog, name string, opts []option) (*option, error) {
	var found []*option
	for i := range opts {
		o := &opts[i]
		if o.long == name {
			return o, nil
		}
		if !o.exact && strings.HasPrefix(o.long, name) {
			found = append(found, o)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%s: unrecognized option '--%s'", prog, name)
	case 1:
		return found[0], nil
	}
	names := make([]string, len(found))
	for i, o := range found {
		names[i] = "'--" + o.long + "'"
	}
	return nil, fmt.Errorf("%s: option '--%s' is ambiguous; possibilities: %s", prog, name, strings.Join(names, " "))
}

// shortOptions reads a cluster such as "vd6" (after its '-').
func shortOptions(prog, cluster string, rest []string, opts []option) ([]parsedOption, int, error) {
	var parsed []parsedOption
	for j := 0; j < len(cluster); j++ {
		o := lookupShort(cluster[j], opts)
		if o == nil {
			return parsed, 0, fmt.Errorf("%s: invalid option -- '%c'", prog, cluster[j])
		}
		if o.arg == noArg {
			parsed = append(parsed, parsedOption{opt: o})
			continue
		}
		if j+1 < len(cluster) {
			return append(parsed, parsedOption{o, cluster[j+1:], true}), 0, nil
		}
		if len(rest) == 0 {
			return parsed, 0, fmt.Errorf("%s: option requires an argument -- '%c'", prog, o.short)
		}
		return append(parsed, parsedOption{o, rest[0], true}), 1, nil
	}
	return parsed, 0, nil
}

func lookupShort(c byte, opts []option) *option {
	for i := range opts {
		if opts[i].short == c && c != 0 {
			return &opts[i]
		}
	}
	return nil
}
