# longrange.awk - a corpus whose bytes depend on bytes far behind them, for
# examples/tracing: lines of two kinds, alternating at random.
#   copy:     <KEY.........>KEY     a key of 5 letters, a gap of 8 to 24
#             dots, and the key again: after '>' the key is known only
#             to a model that kept it across the gap
#   brackets: (12[3{45}6]7)         three kinds of brackets nested up to
#             4 deep with digits between: a closing bracket's kind is that
#             of the opener, which may be 20 bytes back
# Usage: awk -v bytes=N -v seed=S -f longrange.awk >corpus.txt
# The random numbers are Park and Miller's (16807 x mod 2^31 - 1), exact in
# any awk's doubles, so every awk writes the same bytes for the same seed.
function rnd(n) { # 0 .. n-1
	x = (x * 16807) % 2147483647
	return int(x / 2147483647 * n)
}
function copy_line(    key, i, gap, s) {
	key = ""
	for (i = 0; i < 5; i++)
		key = key substr("abcdefghijklmnopqrstuvwxyz", rnd(26) + 1, 1)
	gap = 8 + rnd(17)
	s = "<" key
	for (i = 0; i < gap; i++)
		s = s "."
	return s ">" key
}
function filler(    s, i, k) {
	s = ""
	k = rnd(4)
	for (i = 0; i < k; i++)
		s = s rnd(10)
	return s
}
function group(depth,    kind, s, i, k) {
	kind = rnd(3)
	s = substr("([{", kind + 1, 1) filler()
	k = depth < 4 ? rnd(3) : 0
	for (i = 0; i < k; i++)
		s = s group(depth + 1) filler()
	return s substr(")]}", kind + 1, 1)
}
BEGIN {
	x = (seed > 0 ? seed : 1) % 2147483646 + 1
	if (bytes <= 0)
		bytes = 100000
	n = 0
	while (n < bytes) {
		line = rnd(2) ? copy_line() : group(1)
		print line
		n += length(line) + 1
	}
}
