# plot_latency.gp — reply latency by percentile, one line per system, log scale.
# Data: latency.dat written by bench_latency (one block per system, blocks separated by two
# blank lines; the block's first line is its title in double quotes, then "percentile ms"),
# and optionally cmgsfile (same format: the time to the reply's AT+CMGS command, dashed).
#   gnuplot -e "datafile='latency.dat'; cmgsfile='latency-cmgs.dat'; outfile='latency.png'" \
#           tests/bench/plot_latency.gp
if (!exists("datafile")) datafile = 'latency.dat'
if (!exists("cmgsfile")) cmgsfile = ''
if (!exists("outfile")) outfile = 'latency.png'
set terminal pngcairo size 960,640 font ",10" noenhanced
set output outfile
set title "Reply latency on the AT modem simulator: +CMTI written -> reply AT+CMGS accepted"
set xlabel "percentile of messages (nearest rank)"
set ylabel "latency (log scale)"
set logscale y
set ytics ("0.1 ms" 0.1, "1 ms" 1, "10 ms" 10, "100 ms" 100, "1 s" 1000, "10 s" 10000, "100 s" 100000)
set mytics 10
set xrange [0:100]
set xtics 10
set grid xtics ytics mytics
set key at graph 0.01, graph 0.47 left top box opaque
set arrow from 50, graph 0 to 50, graph 1 nohead dt 3 lc "gray40"
set arrow from 90, graph 0 to 90, graph 1 nohead dt 3 lc "gray40"
set arrow from 99, graph 0 to 99, graph 1 nohead dt 3 lc "gray40"
set label 1 "0.6 s of every reply here is libgammu pausing while it types the PDU (dashed: up to the AT+CMGS command)" at 1, 400 front font ",9"
stats datafile using 2 nooutput
nblocks = STATS_blocks
ncmgs = 0
if (cmgsfile ne '') { stats cmgsfile using 2 nooutput; ncmgs = STATS_blocks }
plot for [i=0:nblocks-1] datafile index i using 1:2 with fsteps lw 2 lc i+1 title columnheader(1), \
     for [i=0:ncmgs-1] cmgsfile index i using 1:2 with fsteps lw 2 dt 2 lc i+1 title columnheader(1)
