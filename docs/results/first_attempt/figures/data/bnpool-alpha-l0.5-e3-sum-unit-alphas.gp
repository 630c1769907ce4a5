# fashion-bn-pool, ReLU_α, λ = 0.5, 3 epochs, sum reduction, unit input (3 seeds, one line each)
set encoding utf8
set grid
set terminal pngcairo enhanced font 'sans,11' size 900,450
set output 'bnpool-alpha-l0.5-e3-sum-unit-alphas.png'
set multiplot layout 1,1 title 'fashion-bn-pool, ReLU_α, λ = 0.5, 3 epochs, sum reduction, unit input (3 seeds, one line each)' font ',13'
set title 'α_1, α_2, α_3 after each step'
set xlabel 'optimiser step'
set ylabel 'α'
set key outside right top opaque box spacing 1.3
set autoscale xfix
plot 'data/bnpool-alpha-l0.5-e3-sum-unit-alphas.dat' index 0 using 1:2 with lines lw 1.5 dt 1 lc rgb '#1f77b4' title 'α_1', \
     'data/bnpool-alpha-l0.5-e3-sum-unit-alphas.dat' index 1 using 1:2 with lines lw 1.5 dt 2 lc rgb '#d62728' title 'α_2', \
     'data/bnpool-alpha-l0.5-e3-sum-unit-alphas.dat' index 2 using 1:2 with lines lw 1.5 dt 3 lc rgb '#2ca02c' title 'α_3', \
     'data/bnpool-alpha-l0.5-e3-sum-unit-alphas.dat' index 3 using 1:2 with lines lw 1.5 dt 1 lc rgb '#1f77b4' notitle, \
     'data/bnpool-alpha-l0.5-e3-sum-unit-alphas.dat' index 4 using 1:2 with lines lw 1.5 dt 2 lc rgb '#d62728' notitle, \
     'data/bnpool-alpha-l0.5-e3-sum-unit-alphas.dat' index 5 using 1:2 with lines lw 1.5 dt 3 lc rgb '#2ca02c' notitle, \
     'data/bnpool-alpha-l0.5-e3-sum-unit-alphas.dat' index 6 using 1:2 with lines lw 1.5 dt 1 lc rgb '#1f77b4' notitle, \
     'data/bnpool-alpha-l0.5-e3-sum-unit-alphas.dat' index 7 using 1:2 with lines lw 1.5 dt 2 lc rgb '#d62728' notitle, \
     'data/bnpool-alpha-l0.5-e3-sum-unit-alphas.dat' index 8 using 1:2 with lines lw 1.5 dt 3 lc rgb '#2ca02c' notitle
unset multiplot
set terminal svg enhanced dynamic font 'sans,11' background '#ffffff' size 900,450
set output 'bnpool-alpha-l0.5-e3-sum-unit-alphas.svg'
set multiplot layout 1,1 title 'fashion-bn-pool, ReLU_α, λ = 0.5, 3 epochs, sum reduction, unit input (3 seeds, one line each)' font ',13'
set title 'α_1, α_2, α_3 after each step'
set xlabel 'optimiser step'
set ylabel 'α'
set key outside right top opaque box spacing 1.3
set autoscale xfix
plot 'data/bnpool-alpha-l0.5-e3-sum-unit-alphas.dat' index 0 using 1:2 with lines lw 1.5 dt 1 lc rgb '#1f77b4' title 'α_1', \
     'data/bnpool-alpha-l0.5-e3-sum-unit-alphas.dat' index 1 using 1:2 with lines lw 1.5 dt 2 lc rgb '#d62728' title 'α_2', \
     'data/bnpool-alpha-l0.5-e3-sum-unit-alphas.dat' index 2 using 1:2 with lines lw 1.5 dt 3 lc rgb '#2ca02c' title 'α_3', \
     'data/bnpool-alpha-l0.5-e3-sum-unit-alphas.dat' index 3 using 1:2 with lines lw 1.5 dt 1 lc rgb '#1f77b4' notitle, \
     'data/bnpool-alpha-l0.5-e3-sum-unit-alphas.dat' index 4 using 1:2 with lines lw 1.5 dt 2 lc rgb '#d62728' notitle, \
     'data/bnpool-alpha-l0.5-e3-sum-unit-alphas.dat' index 5 using 1:2 with lines lw 1.5 dt 3 lc rgb '#2ca02c' notitle, \
     'data/bnpool-alpha-l0.5-e3-sum-unit-alphas.dat' index 6 using 1:2 with lines lw 1.5 dt 1 lc rgb '#1f77b4' notitle, \
     'data/bnpool-alpha-l0.5-e3-sum-unit-alphas.dat' index 7 using 1:2 with lines lw 1.5 dt 2 lc rgb '#d62728' notitle, \
     'data/bnpool-alpha-l0.5-e3-sum-unit-alphas.dat' index 8 using 1:2 with lines lw 1.5 dt 3 lc rgb '#2ca02c' notitle
unset multiplot
set output
