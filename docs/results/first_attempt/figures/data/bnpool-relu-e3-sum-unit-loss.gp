# fashion-bn-pool, ReLU, 3 epochs, sum reduction, unit input (3 seeds, one line each)
set encoding utf8
set grid
set terminal pngcairo enhanced font 'sans,11' size 1200,450
set output 'bnpool-relu-e3-sum-unit-loss.png'
set multiplot layout 1,2 title 'fashion-bn-pool, ReLU, 3 epochs, sum reduction, unit input (3 seeds, one line each)' font ',13'
set title 'training loss per step'
set xlabel 'optimiser step'
set ylabel 'loss'
set key top right opaque box spacing 1.3
set autoscale xfix
plot 'data/bnpool-relu-e3-sum-unit-loss.dat' index 0 using 1:2 with lines lw 1.5 dt 1 lc rgb '#1f77b4' title 'seed 0', \
     'data/bnpool-relu-e3-sum-unit-loss.dat' index 1 using 1:2 with lines lw 1.5 dt 1 lc rgb '#ff7f0e' title 'seed 1', \
     'data/bnpool-relu-e3-sum-unit-loss.dat' index 2 using 1:2 with lines lw 1.5 dt 1 lc rgb '#2ca02c' title 'seed 2'
set title 'test accuracy after each epoch'
set xlabel 'optimiser step'
set ylabel 'test accuracy'
set key bottom right opaque box spacing 1.3
set xrange [0:1800]
plot 'data/bnpool-relu-e3-sum-unit-loss.dat' index 3 using 1:2 with linespoints pt 7 ps 0.8 lw 1.5 dt 1 lc rgb '#1f77b4' title 'seed 0', \
     'data/bnpool-relu-e3-sum-unit-loss.dat' index 4 using 1:2 with linespoints pt 7 ps 0.8 lw 1.5 dt 1 lc rgb '#ff7f0e' title 'seed 1', \
     'data/bnpool-relu-e3-sum-unit-loss.dat' index 5 using 1:2 with linespoints pt 7 ps 0.8 lw 1.5 dt 1 lc rgb '#2ca02c' title 'seed 2'
unset multiplot
set terminal svg enhanced dynamic font 'sans,11' background '#ffffff' size 1200,450
set output 'bnpool-relu-e3-sum-unit-loss.svg'
set multiplot layout 1,2 title 'fashion-bn-pool, ReLU, 3 epochs, sum reduction, unit input (3 seeds, one line each)' font ',13'
set title 'training loss per step'
set xlabel 'optimiser step'
set ylabel 'loss'
set key top right opaque box spacing 1.3
set autoscale xfix
plot 'data/bnpool-relu-e3-sum-unit-loss.dat' index 0 using 1:2 with lines lw 1.5 dt 1 lc rgb '#1f77b4' title 'seed 0', \
     'data/bnpool-relu-e3-sum-unit-loss.dat' index 1 using 1:2 with lines lw 1.5 dt 1 lc rgb '#ff7f0e' title 'seed 1', \
     'data/bnpool-relu-e3-sum-unit-loss.dat' index 2 using 1:2 with lines lw 1.5 dt 1 lc rgb '#2ca02c' title 'seed 2'
set title 'test accuracy after each epoch'
set xlabel 'optimiser step'
set ylabel 'test accuracy'
set key bottom right opaque box spacing 1.3
set xrange [0:1800]
plot 'data/bnpool-relu-e3-sum-unit-loss.dat' index 3 using 1:2 with linespoints pt 7 ps 0.8 lw 1.5 dt 1 lc rgb '#1f77b4' title 'seed 0', \
     'data/bnpool-relu-e3-sum-unit-loss.dat' index 4 using 1:2 with linespoints pt 7 ps 0.8 lw 1.5 dt 1 lc rgb '#ff7f0e' title 'seed 1', \
     'data/bnpool-relu-e3-sum-unit-loss.dat' index 5 using 1:2 with linespoints pt 7 ps 0.8 lw 1.5 dt 1 lc rgb '#2ca02c' title 'seed 2'
unset multiplot
set output
