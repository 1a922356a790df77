" Vim syntax file for nnc's .nn language.
" The keyword, type and built-in lists are checked against grammar/NN.g4,
" include/nnc/Support/ElementKind.h and include/nnc/AST/Builtins.def by
" scripts/check-editors.py (test/Driver/editors.test).
if exists("b:current_syntax")
  finish
endif

syn keyword nnStatement fn let layer param backward
syn keyword nnConditional if else
syn keyword nnReturn return
syn keyword nnBoolean true false

" The built-in functions. The conversions f32 f64 i32 i64 are built-ins
" too, and highlight as the types they name.
syn keyword nnBuiltin exp log sqrt tanh sigmoid relu abs sin cos softplus pow max min
      \ select grad value_and_grad vjp train_step sum mean argmax transpose reshape
      \ broadcast sum_to iota onehot pick softmax log_softmax logsumexp
      \ cross_entropy svm_loss randn rand
      \ batch_norm dropout
      \ concat stack zeros ones full permute flatten slice unslice
      \ leaky_relu elu erf gelu sign where maximum minimum clamp var std
" Convolution and pooling (issue 12).
syn keyword nnBuiltin conv2d conv2d_grad_input conv2d_grad_weight max_pool2d
      \ max_pool2d_grad max_pool2d_gather avg_pool2d avg_pool2d_grad
syn keyword nnType f32 f64 i32 i64 bool

syn match nnFunctionName "\%(\<fn\s\+\)\@<=\h\w*"
syn match nnLayerName "\%(\<layer\s\+\)\@<=\h\w*"

syn match nnNumber "\<\d\+\>"
syn match nnFloat "\<\d\+\.\d*\%([eE][+-]\=\d\+\)\="
syn match nnFloat "\.\d\+\%([eE][+-]\=\d\+\)\=\>"
syn match nnFloat "\<\d\+[eE][+-]\=\d\+\>"

syn match nnOperator "->\|[-+*/^@<>=!&|]"

syn keyword nnTodo TODO FIXME XXX NOTE contained
syn match nnLineComment "//.*$" contains=nnTodo,@Spell
syn region nnBlockComment start="/\*" end="\*/" contains=nnTodo,@Spell

hi def link nnStatement Statement
hi def link nnConditional Conditional
hi def link nnReturn Statement
hi def link nnBoolean Boolean
hi def link nnBuiltin Function
hi def link nnType Type
hi def link nnFunctionName Function
hi def link nnLayerName Structure
hi def link nnNumber Number
hi def link nnFloat Float
hi def link nnOperator Operator
hi def link nnTodo Todo
hi def link nnLineComment Comment
hi def link nnBlockComment Comment

let b:current_syntax = "nn"
