package pskc

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

// node is an element of the document, by local name: PSKC files in the
// wild put the same elements in different namespaces (drafts, typos), so
// like python-pskc the parser ignores namespaces.
type node struct {
	name     string
	attrs    []xml.Attr
	children []*node
	text     string
}

// readTree parses data into a tree of elements, refusing DOCTYPE
// declarations (so no entity is ever defined, let alone expanded), and
// documents past MaxDocumentSize, MaxDepth or MaxElements.
func readTree(data []byte) (*node, error) {
	if len(data) > MaxDocumentSize {
		return nil, &Error{Reason: "larger than MaxDocumentSize", Err: ErrTooLarge}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	var root *node
	var stack []*node
	var text [][]byte
	count := 0
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &Error{Reason: "not XML", Err: ErrInvalid}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if count++; count > MaxElements {
				return nil, &Error{Reason: "more elements than MaxElements", Err: ErrTooLarge}
			}
			if len(stack) >= MaxDepth {
				return nil, &Error{Reason: "nested deeper than MaxDepth", Err: ErrTooLarge}
			}
			n := &node{name: t.Name.Local, attrs: t.Attr}
			if len(stack) == 0 {
				if root != nil {
					return nil, &Error{Reason: "not XML: two root elements", Err: ErrInvalid}
				}
				root = n
			} else {
				parent := stack[len(stack)-1]
				parent.children = append(parent.children, n)
			}
			stack = append(stack, n)
			text = append(text, nil)
		case xml.EndElement:
			if len(stack) == 0 || stack[len(stack)-1].name != t.Name.Local {
				return nil, &Error{Reason: "not XML: mismatched end tag", Err: ErrInvalid}
			}
			stack[len(stack)-1].text = string(bytes.TrimSpace(text[len(text)-1]))
			stack, text = stack[:len(stack)-1], text[:len(text)-1]
		case xml.CharData:
			if len(stack) > 0 {
				text[len(text)-1] = append(text[len(text)-1], t...)
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, &Error{Reason: "not XML: text outside the root element", Err: ErrInvalid}
			}
		case xml.Directive:
			return nil, &Error{Reason: "a DOCTYPE or other declaration is not allowed", Err: ErrInvalid}
		}
	}
	if root == nil || len(stack) != 0 {
		return nil, &Error{Reason: "not XML: no complete root element", Err: ErrInvalid}
	}
	return root, nil
}

// child returns the first child named name, or nil.
func (n *node) child(name string) *node {
	if n == nil {
		return nil
	}
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

// find returns the first element at any of the paths, each of names
// separated by "/", or nil.
func (n *node) find(paths ...string) *node {
	for _, p := range paths {
		c := n
		for name := range strings.SplitSeq(p, "/") {
			c = c.child(name)
		}
		if c != nil {
			return c
		}
	}
	return nil
}

// all returns the children named any of names, in document order.
func (n *node) all(names ...string) []*node {
	if n == nil {
		return nil
	}
	var out []*node
	for _, c := range n.children {
		for _, name := range names {
			if c.name == name {
				out = append(out, c)
				break
			}
		}
	}
	return out
}

// count returns how many children are named name.
func (n *node) count(name string) int { return len(n.all(name)) }

// textOf returns the trimmed text at the first of the paths that exists.
func (n *node) textOf(paths ...string) string {
	if c := n.find(paths...); c != nil {
		return c.text
	}
	return ""
}

// attr returns the first of the attributes named names (by local name)
// that is present, and whether one was.
func (n *node) attr(names ...string) (string, bool) {
	if n == nil {
		return "", false
	}
	for _, name := range names {
		for _, a := range n.attrs {
			if a.Name.Local == name && a.Name.Space != "xmlns" {
				return strings.TrimSpace(a.Value), true
			}
		}
	}
	return "", false
}

// attrValue is attr without the presence.
func (n *node) attrValue(names ...string) string {
	v, _ := n.attr(names...)
	return v
}
