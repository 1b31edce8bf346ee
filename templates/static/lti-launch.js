// Aula Territorial: sends the virtual classroom's signed launch to the tool at once (issue 65).
// Without scripts, the page's «Continuar al aula virtual» button does the same.
document.getElementById("lti-launch").submit();
