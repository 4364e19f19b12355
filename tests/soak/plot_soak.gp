# plot_soak.gp — the soak's samples over time: memory, descriptors, Redis memory.
#
# Input: soak.dat as tests/soak/soak.c writes it, one sample a line:
#   t_s gateway_rss_kb workers_rss_kb gateway_fds workers_fds redis_used_kb handled workers
# (-1 where a value could not be read, e.g. Redis during a restart).
#
#   gnuplot -e "datafile='build/soak/soak.dat'; outfile='build/soak/soak.png'" tests/soak/plot_soak.gp
if (!exists("datafile")) datafile = 'soak.dat'
if (!exists("outfile")) outfile = 'soak.png'
set terminal pngcairo size 960,900 font ",10" noenhanced
set output outfile
set datafile missing "-1"
ok(v) = (v < 0) ? NaN : v
set multiplot layout 3,1 title "kentongan soak: three simulated modems, mixed traffic, faults, Redis restarts"
set grid
set key top left box opaque
set xrange [0:*]
set yrange [0:*]
set xlabel "seconds since the traffic started"
set ylabel "RSS (MB)"
plot datafile using 1:(ok($2)/1024) with linespoints pt 7 ps 0.4 lw 2 lc rgb "#0060ad" title "gateway", \
     datafile using 1:(ok($3)/1024) with linespoints pt 7 ps 0.4 lw 2 lc rgb "#dd181f" title "workers (sum)"
set ylabel "open descriptors"
plot datafile using 1:(ok($4)) with linespoints pt 7 ps 0.4 lw 2 lc rgb "#0060ad" title "gateway", \
     datafile using 1:(ok($5)) with linespoints pt 7 ps 0.4 lw 2 lc rgb "#dd181f" title "workers (sum)"
set ylabel "MB"
set y2label "messages handled"
set y2tics
set y2range [0:*]
plot datafile using 1:(ok($6)/1024) with linespoints pt 7 ps 0.4 lw 2 lc rgb "#00a000" title "Redis used_memory", \
     datafile using 1:(ok($7)) axes x1y2 with lines lw 1 dt 2 lc "gray30" title "messages handled (right)"
unset multiplot
