# plot_broadcast.gp — broadcast progress over time against the ideal line.
#
# Input: the output of a broadcast benchmark (tests/bench/bench_broadcast.c, for instance its
# whole stdout); only lines of these two forms are read, any other line is ignored:
#
#   progress <seconds> <sent>   a sample: seconds since the broadcast was started (decimals
#                               allowed) and messages handed to the modems so far
#   ideal <seconds> <sent>      a point of the ideal curve (what the modems' caps allow), at
#                               least two, in time order; drawn as straight lines between them,
#                               e.g. "ideal 0 0" and "ideal 100 1000" for 10 messages a second
#
#   gnuplot -e "datafile='broadcast.txt'; outfile='broadcast.png'" tests/bench/plot_broadcast.gp
# Optional: -e "plottitle='...'" to replace the title.
if (!exists("datafile")) datafile = 'broadcast.txt'
if (!exists("outfile")) outfile = 'broadcast.png'
if (!exists("plottitle")) plottitle = "Broadcast progress: messages handed to the modems over time"
set terminal pngcairo size 960,560 font ",10" noenhanced
set output outfile
set title plottitle
set xlabel "seconds since the broadcast started"
set ylabel "messages sent"
set grid
set key top left box opaque
set xrange [0:*]
set yrange [0:*]
# The two kinds of line, picked by their first word (gnuplot reads the file itself: no shell).
sel(kind, col) = (strcol(1) eq kind) ? column(col) : NaN
set datafile missing NaN
plot datafile using (sel("ideal", 2)):(sel("ideal", 3)) with lines lw 2 dt 2 lc "gray30" title "ideal (caps allow)", \
     datafile using (sel("progress", 2)):(sel("progress", 3)) with lines lw 2 lc rgb "#0060ad" title "sent"
