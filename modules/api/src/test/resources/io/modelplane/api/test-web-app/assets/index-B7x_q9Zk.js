document.getElementById("root").textContent = "test web app";
