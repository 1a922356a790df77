" .nn files are nnc's neural-network language.
autocmd BufRead,BufNewFile *.nn setfiletype nn
