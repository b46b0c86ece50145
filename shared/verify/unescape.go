package verify

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// Form values are decoded in one pass, in time linear in their length
// whatever their bytes, and at a cost per byte a sender cannot raise much by
// arranging them. A value without '%' is a copy. Otherwise the decoder takes
// 64-byte blocks: it finds the block's escapes from its own words (so where
// it looks next never waits on the byte it just read), makes the block's
// '+' into ' ' in a scratch copy, then for each escape copies the run before
// it in two words whatever its length up to 16 bytes, and decodes the
// escape. No branch depends on how the escapes are arranged, which a sender
// could otherwise choose to defeat the processor's branch prediction.

const (
	wordSize  = 8
	blockSize = 64
	ones      = 0x0101010101010101
	low7      = 0x7f7f7f7f7f7f7f7f
	// gatherBits moves the top bit of each byte of a word (shifted down
	// to bit 0 of its byte) into the word's top byte, byte k to bit k.
	gatherBits = 0x0102040810204080
)

// bytesEqual returns a word with 0x80 in each byte of w equal to c and 0
// elsewhere (exact: no borrow crosses bytes).
func bytesEqual(w uint64, c byte) uint64 {
	x := w ^ (ones * uint64(c))
	return ^((x&low7 + low7) | x | low7)
}

// plusToSpace returns w with every '+' byte made ' '.
func plusToSpace(w uint64) uint64 { return w ^ (bytesEqual(w, '+')>>7)*('+'^' ') }

// hexVal is the value of a hex digit, 0xff for any other byte.
var hexVal = func() (t [256]byte) {
	for c := range t {
		switch {
		case '0' <= c && c <= '9':
			t[c] = byte(c - '0')
		case 'a' <= c && c <= 'f':
			t[c] = byte(c - 'a' + 10)
		case 'A' <= c && c <= 'F':
			t[c] = byte(c - 'A' + 10)
		default:
			t[c] = 0xff
		}
	}
	return t
}()

// copyRun copies src[i:end] to dst[j:] a word at a time with '+' made ' ',
// possibly writing up to a word past the end of the run, and returns the new
// j. src has a word from each i < end.
func copyRun(dst, src []byte, i, end, j int) int {
	for ; i < end; i += wordSize {
		binary.LittleEndian.PutUint64(dst[j:], plusToSpace(binary.LittleEndian.Uint64(src[i:])))
		j += min(wordSize, end-i)
	}
	return j
}

// unescapeValue form-decodes src[i:end] ('+' is a space, '%' and two hex
// digits one byte) into dst[j:], where j <= i and dst is as long as src, and
// returns the new j; ok is false when a '%' is not followed by two hex
// digits. Past the new j it may leave up to a word of scratch bytes, never
// beyond dst[end].
func unescapeValue(dst, src []byte, i, end, j int) (int, bool) {
	if bytes.IndexByte(src[i:end], '%') < 0 {
		// No escape, as in most values: a copy, with '+' made ' ' when
		// there is one. The scans are vectorised.
		if bytes.IndexByte(src[i:end], '+') < 0 {
			return j + copy(dst[j:], src[i:end]), true
		}
		n := (end - i) &^ (wordSize - 1)
		j = copyRun(dst, src, i, i+n, j)
		for i += n; i < end; i++ {
			dst[j] = src[i]
			if src[i] == '+' {
				dst[j] = ' '
			}
			j++
		}
		return j, true
	}
	var bad byte
	var tmp [blockSize + 2*wordSize]byte // src[base:] with '+' made ' '
	base := i
	// A block is decoded while its escapes' digits and two words past it
	// are inside the value.
	for ; base+len(tmp)+2 <= end; base += blockSize {
		if i < base {
			j = copyRun(dst, src, i, base, j)
			i = base
		}
		blk := src[base : base+len(tmp)+2]
		var escapes uint64 // bit k: src[base+k] is '%'
		for k := 0; k < len(tmp); k += wordSize {
			w := binary.LittleEndian.Uint64(blk[k:])
			binary.LittleEndian.PutUint64(tmp[k:], plusToSpace(w))
			if k < blockSize {
				escapes |= (bytesEqual(w, '%') >> 7 * gatherBits >> 56) << k
			}
		}
		for escapes != 0 {
			q := bits.TrailingZeros64(escapes) // the escape is at base+q
			escapes &= escapes - 1
			r := i - base // where the run starts in the block, 0 to 66
			if q < r {
				return j, false // a '%' where the escape before wants a digit
			}
			// The run before the escape: two words, or a copy when longer.
			if q-r > 2*wordSize {
				j += copy(dst[j:], tmp[r:q])
			} else {
				// r <= q < blockSize here: the mask only tells the compiler.
				binary.LittleEndian.PutUint64(dst[j:], binary.LittleEndian.Uint64(tmp[r&(blockSize-1):]))
				binary.LittleEndian.PutUint64(dst[j+wordSize:], binary.LittleEndian.Uint64(tmp[r&(blockSize-1)+wordSize:]))
				j += q - r
			}
			hi, lo := hexVal[blk[q+1]], hexVal[blk[q+2]]
			bad |= hi | lo
			dst[j] = hi<<4 | lo
			j++
			i = base + q + 3
		}
	}
	// The run left before base has no escape; the last bytes go one by one.
	if i < base {
		j = copyRun(dst, src, i, base, j)
		i = base
	}
	for ; i < end; i++ {
		c := src[i]
		switch c {
		case '+':
			c = ' '
		case '%':
			if i+2 >= end {
				return j, false
			}
			hi, lo := hexVal[src[i+1]], hexVal[src[i+2]]
			bad |= hi | lo
			c = hi<<4 | lo
			i += 2
		}
		dst[j] = c
		j++
	}
	return j, bad&0xf0 == 0
}
