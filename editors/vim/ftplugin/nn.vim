" Comments and indentation for nnc's .nn language.
if exists("b:did_ftplugin")
  finish
endif
let b:did_ftplugin = 1

setlocal commentstring=//\ %s
setlocal comments=s1:/*,mb:*,ex:*/,://
setlocal formatoptions-=t formatoptions+=croql
setlocal cindent cinoptions=(0,W2
let b:undo_ftplugin = "setlocal commentstring< comments< formatoptions< cindent< cinoptions<"
