" Writes the filetype Vim gave the buffer and the syntax group at each
" place of test/Driver/Inputs/highlight.nn named below, one per line, to $OUT.
let s:out = ['filetype=' . &filetype]
for [l, c] in [[1, 1], [2, 1], [2, 4], [2, 9], [2, 16], [2, 24], [2, 27],
      \ [2, 29], [3, 1], [3, 7], [3, 14], [3, 23], [4, 3], [4, 10], [5, 1],
      \ [5, 13], [5, 20], [6, 9], [6, 13]]
  call add(s:out, l . ':' . c . ' ' . synIDattr(synID(l, c, 1), 'name'))
endfor
call writefile(s:out, $OUT)
qa!
