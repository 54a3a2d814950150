# (included by cpu/interp.pyx) -- being written
